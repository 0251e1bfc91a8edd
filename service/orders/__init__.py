"""The order book («книга приказов»): enrolment, transfer, withdrawal, group membership,
cancellation by another order, and the year-end rollover."""
