"""Input no trading form may take, by kind: what a new user (or a fuzzer) types or pastes."""

NOT_NUMBERS = {
    "empty": "",
    "whitespace": " \t ",
    "garbage": "abc",
    "emoji": "🙂",
    "rtl": "\u202e١٢٣abc",
    "nul": "1\x002",
    "nan": "NaN",
    "infinity": "Infinity",
    "10k-chars": "x" * 10_000,
}
BAD_AMOUNTS = {
    "1e400": "1e400",
    "huge": "9" * 23,
    "10k-digits": "9" * 10_000,
    "tiny": "1e-30",
    "over-precise": "0.123456789012345678901",
    "negative": "-1",
    "zero": "0",
    "minus-zero": "-0",
    "negative-exponent": "-1e3",
}
BAD_TEXT = {
    "empty": "",
    "whitespace": " \t ",
    "emoji": "🙂",
    "rtl": "\u202eשלום",
    "nul": "BTC\x00USD",
    "10k-chars": "B" * 10_000,
    "newline": "BTCUSD\nETHUSD",
}
BAD_DATES = {
    "garbage": "soon",
    "month-13": "2026-13-45",
    "feb-30": "2026-02-30",
    "year-1": "0001-01-01",
    "year-9999": "9999-12-31",
    "year-99999": "99999-01-01",
    "datetime": "2026-01-01T00:00",
    "1e400": "1e400",
    "negative": "-1",
    "nul": "2026-01-01\x00",
    "10k-chars": "2" * 10_000,
}
