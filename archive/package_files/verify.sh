#!/bin/sh
# Проверка запечатанного пакета учебного года (электронный классный журнал «ezh»).
#
# Нужны только sh, программы coreutils (sha256sum, sha512sum, sort, comm, cut, head,
# date, mktemp) и openssl. Запуск в папке пакета или откуда угодно:
#     sh verify.sh [ожидаемый-корневой-сертификат-школы.pem]
# Код выхода 0 — пакет цел; иначе 1 и названа первая найденная ошибка.
# Порядок ручной проверки теми же командами описан в README.txt.
set -eu
LC_ALL=C
export LC_ALL

fail() {
    printf 'ОШИБКА: %s\n' "$1" >&2
    if [ -n "${2:-}" ]; then
        printf 'Вывод программы:\n%s\n' "$2" >&2
    fi
    printf 'ИТОГ: ПАКЕТ НЕ ПРОШЁЛ ПРОВЕРКУ.\n' >&2
    exit 1
}

case ${1:-} in
    -h|--help)
        echo "Проверка запечатанного пакета учебного года (электронный журнал «ezh»)."
        echo "Использование: sh verify.sh [ожидаемый-корневой-сертификат-школы.pem]"
        echo "Код выхода: 0 — пакет цел, 1 — названа первая найденная ошибка."
        exit 0 ;;
esac

ca=school-ca.pem
if [ "$#" -gt 0 ]; then
    ca=$1
    [ -f "$ca" ] || fail "файл корневого сертификата школы $ca не найден"
    case $ca in
        /*) ;;
        *) ca=$(pwd)/$ca ;;
    esac
fi

cd "$(dirname "$0")" || fail "не удалось перейти в папку пакета $(dirname "$0")"

for program in sha256sum sha512sum sort comm cut head date mktemp openssl; do
    command -v "$program" >/dev/null 2>&1 ||
        fail "не найдена программа $program — установите её и повторите проверку"
done

for f in bagit.txt bag-info.txt manifest-sha256.txt manifest-sha512.txt \
         tagmanifest-sha256.txt tagmanifest-sha512.txt tagmanifest-sha256.txt.p7s \
         school-ca.pem; do
    [ -f "$f" ] || fail "файл $f отсутствует"
done
[ -d data ] || fail "папка data/ отсутствует"

tmp=$(mktemp -d)
trap 'rm -rf "$tmp"' EXIT
trap 'exit 1' HUP INT TERM

# The value of a field of bag-info.txt ("Поле: значение").
bag_info() {
    while IFS= read -r line; do
        case $line in
            "$1: "*) printf '%s\n' "${line#"$1": }"; return 0 ;;
        esac
    done < bag-info.txt
    return 0
}

# sha256sum -c / sha512sum -c of a manifest; on failure names the first bad line or file.
check_sums() {
    if out=$("$1" -c --strict --warn --quiet "$2" 2>&1); then
        return 0
    fi
    first=""
    while IFS= read -r line; do
        case $line in
            *": FAILED open or read")
                first="файл ${line%: FAILED open or read} отсутствует или не читается (указан в $2)"
                break ;;
            *": FAILED")
                first="файл ${line%: FAILED} изменён (не совпадает отпечаток в $2)"
                break ;;
            *"$2: "*": improperly formatted"*)
                number=${line#*"$2": }
                first="строка ${number%%:*} $2 испорчена"
                break ;;
        esac
    done <<END
$out
END
    fail "${first:-проверка $2 не прошла}" "$out"
}

# Every file under a folder, one path a line; links and special files stop the check.
walk() {
    for p in "$1"/* "$1"/.[!.]* "$1"/..?*; do
        if [ -L "$p" ]; then
            fail "${p#./} — символическая ссылка; в пакете их быть не должно"
        elif [ -d "$p" ]; then
            walk "$p"
        elif [ -f "$p" ]; then
            case $p in
                ./tagmanifest-sha256.txt|./tagmanifest-sha512.txt|./tagmanifest-sha256.txt.p7s) ;;
                *) printf '%s\n' "${p#./}" ;;
            esac
        elif [ -e "$p" ]; then
            fail "${p#./} — не обычный файл (устройство или канал); в пакете их быть не должно"
        fi
    done
}

echo "Проверка пакета: $(pwd)"

# 1. The tag files (bag-info.txt, the manifests, README.txt, the scripts, the certificates).
check_sums sha256sum tagmanifest-sha256.txt
check_sums sha512sum tagmanifest-sha512.txt
echo "Служебные файлы сходятся с tagmanifest-sha256.txt и tagmanifest-sha512.txt."

# 2. The seal: first the signature alone, then that the school CA issued its certificate
#    and that the certificate was valid when the package was sealed.
if [ "$ca" != school-ca.pem ]; then
    expected=$(openssl x509 -in "$ca" -noout -fingerprint -sha256 2>&1) ||
        fail "файл $ca — не сертификат" "$expected"
    packaged=$(openssl x509 -in school-ca.pem -noout -fingerprint -sha256 2>&1) ||
        fail "файл school-ca.pem испорчен" "$packaged"
    [ "${expected#*=}" = "${packaged#*=}" ] ||
        fail "school-ca.pem — не тот корневой сертификат школы, что ожидался:
в пакете ${packaged#*=},
ожидался ${expected#*=}"
fi
if out=$(openssl cms -verify -binary -inform DER -in tagmanifest-sha256.txt.p7s \
        -content tagmanifest-sha256.txt -noverify -out /dev/null 2>&1); then :; else
    fail "электронная печать tagmanifest-sha256.txt.p7s не сходится с tagmanifest-sha256.txt" "$out"
fi
sealed_at=$(bag_info Ezh-Sealed-At)
if epoch=$(date -u -d "$sealed_at" +%s 2>/dev/null); then
    when="-attime $epoch"
else
    when="-no_check_time"
    echo "Замечание: время запечатывания «$sealed_at» не разобрано программой date;"
    echo "срок действия сертификата печати не проверен."
fi
# $when is two words on purpose
if out=$(openssl cms -verify -binary -inform DER -in tagmanifest-sha256.txt.p7s \
        -content tagmanifest-sha256.txt -CAfile "$ca" -purpose any $when \
        -out /dev/null 2>&1); then :; else
    fail "электронная печать tagmanifest-sha256.txt.p7s сделана сертификатом, который
не выдан корневым сертификатом $ca
или не действовал в момент запечатывания ($sealed_at)" "$out"
fi
echo "Электронная печать системы (tagmanifest-sha256.txt.p7s) сходится, сертификат выдан $ca."

# 3. The documents.
check_sums sha256sum manifest-sha256.txt
check_sums sha512sum manifest-sha512.txt
echo "Документы сходятся с manifest-sha256.txt и manifest-sha512.txt."

# 4. Nothing is there that no manifest lists.
walk . > "$tmp/files"
sort "$tmp/files" > "$tmp/disk"
for alg in 256 512; do
    if [ "$alg" = 256 ]; then column=67; else column=131; fi
    { cut -c "$column"- "manifest-sha$alg.txt"; cut -c "$column"- "tagmanifest-sha$alg.txt"; } |
        sort > "$tmp/listed"
    extra=$(comm -23 "$tmp/disk" "$tmp/listed" | head -n 1)
    case $extra in
        "") ;;
        data/*) fail "лишний файл $extra не указан в описи manifest-sha$alg.txt" ;;
        *) fail "лишний файл $extra в пакете не указан в tagmanifest-sha$alg.txt" ;;
    esac
done
echo "Лишних файлов нет."

root=$(sha256sum tagmanifest-sha256.txt | cut -d ' ' -f 1)
fingerprint=$(openssl x509 -in "$ca" -noout -fingerprint -sha256)
echo
echo "Школа: $(bag_info Source-Organization)"
echo "Учебный год: $(bag_info Ezh-Year), версия $(bag_info Ezh-Seal-Version)"
echo "Запечатан: $sealed_at, кем: $(bag_info Ezh-Sealed-By)"
echo "Предыдущий год (отпечаток): $(bag_info Ezh-Previous-Year-Digest)"
echo "Заменяет версию (отпечаток): $(bag_info Ezh-Supersedes-Digest)"
echo "Корневой отпечаток пакета (SHA-256 файла tagmanifest-sha256.txt):"
echo "    $root"
echo "    — должен совпасть с напечатанным в бумажном паспорте пакета."
echo "Отпечаток корневого сертификата школы (SHA-256):"
echo "    ${fingerprint#*=}"
echo "    — должен совпасть с напечатанным в бумажном паспорте пакета."
echo "ИТОГ: пакет цел — все файлы на месте, отпечатки и электронная печать системы сходятся."
