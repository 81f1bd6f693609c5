"""The order ticket's choice fields share their choices with the form's class (Django copied
them for every form made) and still refuse what is not among them."""

from trading.orders.forms import OrderTicketForm

TICKET = {
    "symbol": "BTCUSD",
    "client_order_id": "desk-choices-1",
    "side": "BUY",
    "type": "LIMIT",
    "price": "100",
    "quantity": "1",
    "time_in_force": "GTC",
}


def test_each_form_shares_the_class_choices_and_replaces_only_its_own():
    one, two = OrderTicketForm(TICKET), OrderTicketForm(TICKET)
    fixed = OrderTicketForm.base_fields["side"].choices
    assert one.fields["side"].choices is fixed and two.fields["side"].choices is fixed
    assert one.fields["side"] is not OrderTicketForm.base_fields["side"]  # a field of its own
    widget = OrderTicketForm.base_fields["side"].widget
    assert one.fields["side"].widget.choices is widget.choices  # not copied, nor normalized again
    assert one.fields["side"].widget is not widget
    assert one.fields["side"].widget.attrs is not two.fields["side"].widget.attrs
    assert "aria-describedby" not in widget.attrs  # each form's widget marks its own
    one.fields["side"].choices = [("SELL", "Sell")]
    assert [value for value, _ in two.fields["side"].choices] == ["BUY", "SELL"]
    assert [value for value, _ in OrderTicketForm(TICKET).fields["side"].choices] == [
        "BUY",
        "SELL",
    ]
    assert [value for value, _ in one.fields["side"].widget.choices] == ["SELL"]


def test_a_value_not_among_the_choices_is_still_refused_by_name():
    form = OrderTicketForm({**TICKET, "time_in_force": "XYZ"})
    assert not form.is_valid()
    assert form.errors["time_in_force"] == ["Time in force: choose one of the options."]
