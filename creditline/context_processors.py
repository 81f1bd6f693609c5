"""Open credit-line alerts for the banner every page shows (``templates/_alert_banners.html``);
the page's script adds new ones as they are pushed."""

from creditline.selectors import alert_payload, credit_line_pks_for_user, open_alerts_for_user


def alerts(request) -> dict:
    user = getattr(request, "user", None)
    if user is None or not user.is_authenticated:
        return {}
    return {
        "credit_alerts_open": [alert_payload(a) for a in open_alerts_for_user(user=user)],
        # The script follows these connections' sockets for alerts raised while the page is open.
        "credit_line_pks": ",".join(map(str, credit_line_pks_for_user(user=user))),
    }
