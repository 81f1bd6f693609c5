"""The Credit line tab of credit-line connections (spec "Credit Line"): the loan-to-value and its
thresholds, loans, alerts pushed to every page of the owner, and transfers in and out."""
