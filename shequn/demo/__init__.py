"""Demo data for `shequn demo`: stores, staff, members and a year of loyalty activity."""
