"""The Custody tab of custodial connections (spec "Custodial Solution"): exchange-wallet and
custodial balances, transfers to and from the custodial partner and their undo, settlement,
and trading from the custodial balance."""
