"""Account history: orders, trades, OCO lists and prevented matches copied from the exchange in
short resumable slices (services), browsed and exported as CSV (views)."""
