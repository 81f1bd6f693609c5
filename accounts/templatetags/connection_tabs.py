from django import template

from accounts import access, tabs

register = template.Library()


@register.inclusion_tag("accounts/_connection_tabs.html")
def connection_tabs(connection, active=""):
    """``{% connection_tabs connection "orders" %}``: the connection's tabs, ``active`` marked."""
    return {"connection": connection, "tabs": tabs.connection_tabs(connection, active=active)}


@register.filter
def can(connection, capability: str) -> bool:
    """``{% if connection|can:"transfer" %}``: whether its key type can do it."""
    return access.key_type_can(connection.key_type, capability)
