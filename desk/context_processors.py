from django.conf import settings


def desk(request) -> dict:
    return {
        "desk_allow_signup": settings.DESK_ALLOW_SIGNUP,
        "desk_fanout_port": settings.DESK_FANOUT_PORT or "",
    }
