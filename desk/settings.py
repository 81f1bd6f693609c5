"""The one settings module. Everything deployment-specific comes from the environment.

Development defaults exist only while ``DEBUG`` is on; with ``DEBUG`` off (the default) a missing
``SECRET_KEY`` or ``DESK_ENCRYPTION_KEYS`` stops start-up instead of silently using a known value.
"""

from __future__ import annotations

import os
from pathlib import Path

import dj_database_url
from django.core.exceptions import ImproperlyConfigured

from desk.env import env_bool, env_int, env_list, env_str

BASE_DIR = Path(__file__).resolve().parent.parent
VAR_DIR = Path(env_str("DESK_VAR_DIR", str(BASE_DIR / "var")))

DEBUG = env_bool("DEBUG", False)


def _required(name: str, dev_default: str) -> str:
    value = env_str(name)
    if value:
        return value
    if DEBUG:
        return dev_default
    raise ImproperlyConfigured(
        f"{name} (or {name}_FILE) must be set when DEBUG is off. "
        "For local work, `make run` / `make test` generate var/dev.env with fresh random values."
    )


SECRET_KEY = _required("SECRET_KEY", "dev-only-insecure-secret-key-do-not-deploy-0123456789abcdef")
# Fernet keys, comma separated: the first encrypts, all decrypt (rotation).
DESK_ENCRYPTION_KEYS = [
    k.strip()
    for k in _required(
        "DESK_ENCRYPTION_KEYS", "ZGV2LW9ubHktaW5zZWN1cmUtZW5jcnlwdGlvbi1rZXk="
    ).split(",")
    if k.strip()
]

ALLOWED_HOSTS = env_list("ALLOWED_HOSTS", "localhost,127.0.0.1,[::1]")
CSRF_TRUSTED_ORIGINS = env_list("CSRF_TRUSTED_ORIGINS")

INSTALLED_APPS = [
    "daphne",
    "django.contrib.admin",
    "django.contrib.auth",
    "django.contrib.contenttypes",
    "django.contrib.sessions",
    "django.contrib.messages",
    "django.contrib.staticfiles",
    "channels",
    "django_celery_beat",
    "django_otp",
    "django_otp.plugins.otp_totp",
    "django_otp.plugins.otp_static",
    "accounts",
    "transfers",
    "trading",
    "wallet",
    "custody",
    "creditline",
    "convert",
    "rewards",
    "dashboard",
]

MIDDLEWARE = [
    "django.middleware.security.SecurityMiddleware",
    "desk.csp.ContentSecurityPolicyMiddleware",
    "whitenoise.middleware.WhiteNoiseMiddleware",
    "django.contrib.sessions.middleware.SessionMiddleware",
    "django.middleware.common.CommonMiddleware",
    "django.middleware.csrf.CsrfViewMiddleware",
    "django.contrib.auth.middleware.AuthenticationMiddleware",
    "django_otp.middleware.OTPMiddleware",
    "accounts.middleware.TwoFactorMiddleware",
    "django.contrib.messages.middleware.MessageMiddleware",
    "django.middleware.clickjacking.XFrameOptionsMiddleware",
    # Last, so its process_exception sees a view's exception first.
    "desk.unavailable.RedisUnavailableMiddleware",
]

ROOT_URLCONF = "desk.urls"
ASGI_APPLICATION = "desk.asgi.application"
WSGI_APPLICATION = None

TEMPLATES = [
    {
        "BACKEND": "django.template.backends.django.DjangoTemplates",
        "DIRS": [BASE_DIR / "templates"],
        "APP_DIRS": True,
        "OPTIONS": {
            "context_processors": [
                "django.template.context_processors.request",
                "django.contrib.auth.context_processors.auth",
                "django.contrib.messages.context_processors.messages",
                "desk.context_processors.desk",
                "creditline.context_processors.alerts",
            ],
            # desk/ is not an app, so its tag library is named here.
            "libraries": {"desk_forms": "desk.form_tags"},
        },
    },
]

# Connections are kept (opening one costs a page about 2 ms): web requests run on threads that
# later requests reuse (desk.http), so a kept connection is one per thread, not one per request
# left behind in a finished thread. Checked before reuse, so a restarted server is reconnected.
DATABASES = {
    "default": dj_database_url.parse(
        env_str("DATABASE_URL", f"sqlite:///{VAR_DIR / 'desk.sqlite3'}"),
        conn_max_age=env_int("DB_CONN_MAX_AGE", 600),
        conn_health_checks=True,
    )
}
if DATABASES["default"]["ENGINE"] == "django.db.backends.sqlite3":
    # Web, worker, beat and stream processes share the file: WAL lets readers run beside one
    # writer, and IMMEDIATE transactions take the write lock up front instead of failing on upgrade.
    DATABASES["default"]["ENGINE"] = "desk.db.sqlite3"
    DATABASES["default"]["OPTIONS"] = {
        "init_command": "PRAGMA journal_mode=WAL; PRAGMA synchronous=NORMAL;",
        "transaction_mode": "IMMEDIATE",
        "timeout": 20,
    }
    # Tests use a file too: an in-memory database shared between threads has table locks that
    # fail at once instead of waiting, unlike the real thing.
    # One file per test process, so two runs in one checkout cannot trample each other.
    DATABASES["default"]["TEST"] = {"NAME": str(VAR_DIR / f"test-desk-{os.getpid()}.sqlite3")}

DEFAULT_AUTO_FIELD = "django.db.models.BigAutoField"

AUTH_PASSWORD_VALIDATORS = [
    {"NAME": "django.contrib.auth.password_validation.UserAttributeSimilarityValidator"},
    {"NAME": "django.contrib.auth.password_validation.MinimumLengthValidator"},
    {"NAME": "django.contrib.auth.password_validation.CommonPasswordValidator"},
    {"NAME": "django.contrib.auth.password_validation.NumericPasswordValidator"},
]
# Django's ModelBackend, reading the user's second factor with the user (accounts.backends).
AUTHENTICATION_BACKENDS = ["accounts.backends.UserBackend"]
LOGIN_URL = "login"
# --- Sign-in policy -----------------------------------------------------------------------------
DESK_ALLOW_SIGNUP = env_bool("DESK_ALLOW_SIGNUP", False)
DESK_REQUIRE_2FA = env_bool("DESK_REQUIRE_2FA", False)
# Sensitive actions (keys, transfers, withdrawals, schedules) want a check no older than this.
DESK_REAUTH_SECONDS = env_int("DESK_REAUTH_SECONDS", 300)
DESK_LOGIN_MAX_FAILURES = env_int("DESK_LOGIN_MAX_FAILURES", 5)
DESK_LOGIN_LOCKOUT_SECONDS = env_int("DESK_LOGIN_LOCKOUT_SECONDS", 900)
OTP_TOTP_ISSUER = "Binance.US Desk"
DEFAULT_FROM_EMAIL = env_str("DEFAULT_FROM_EMAIL", "desk@localhost")
LOGIN_REDIRECT_URL = "dashboard:home"
LOGOUT_REDIRECT_URL = "login"

LANGUAGE_CODE = "en-us"
TIME_ZONE = "UTC"
USE_I18N = True
USE_TZ = True

STATIC_URL = "static/"
STATIC_ROOT = VAR_DIR / "staticfiles"
STATICFILES_DIRS = [BASE_DIR / "static"]
# Serve straight from the finders so a fresh clone works without collectstatic.
WHITENOISE_USE_FINDERS = True

# --- Redis, Channels, Celery -------------------------------------------------------------------
REDIS_URL = env_str("REDIS_URL", "redis://127.0.0.1:6379/0")

# "pubsub": a group_send is one Redis PUBLISH, each daphne process receives it once and hands the
# same message to its local sockets; "core" pushes a copy into every member channel's list.
# bench/fanout.py measures both (figures in README).
DESK_CHANNEL_LAYER = env_str("DESK_CHANNEL_LAYER", "pubsub")
CHANNEL_LAYERS = {
    "default": {
        "BACKEND": "desk.layers.PubSubChannelLayer",
        "CONFIG": {"hosts": [REDIS_URL], "prefix": "desk"},
    }
    if DESK_CHANNEL_LAYER == "pubsub"
    else {
        "BACKEND": "channels_redis.core.RedisChannelLayer",
        "CONFIG": {"hosts": [REDIS_URL], "prefix": "desk", "capacity": 500, "expiry": 30},
    }
}

# Where this host's request-weight counters live (one per exchange environment): every process
# that shares the key spends from one budget, as the exchange counts weight per IP.
# The limit is the exchange's REQUEST_WEIGHT per minute (exchangeInfo); the test suite raises it
# for its sandbox, which does not enforce one, because its thousand tests share one address.
EXCHANGE_WEIGHT_KEY = env_str("EXCHANGE_WEIGHT_KEY", "desk:exchange-weight")
EXCHANGE_WEIGHT_PER_MINUTE = env_int("EXCHANGE_WEIGHT_PER_MINUTE", 1200)

CELERY_BROKER_URL = env_str("CELERY_BROKER_URL", REDIS_URL)
CELERY_TASK_SERIALIZER = "json"
CELERY_RESULT_SERIALIZER = "json"
CELERY_ACCEPT_CONTENT = ["json"]
CELERY_TASK_IGNORE_RESULT = True
CELERY_TASK_ACKS_LATE = True
CELERY_WORKER_PREFETCH_MULTIPLIER = 1
CELERY_TASK_TIME_LIMIT = 60
CELERY_TASK_SOFT_TIME_LIMIT = 45
CELERY_BROKER_CONNECTION_RETRY_ON_STARTUP = True
CELERY_BEAT_SCHEDULER = "django_celery_beat.schedulers:DatabaseScheduler"
# Queues, by what a task does, so each kind gets workers of its own and none waits behind another:
# - "exchange": sending money and orders to the exchange and settling them (sends, follows,
#   reconcile sweeps, the planners that queue sends). A user is waiting on each; minutes matter.
# - "history": reads of the past (order, wallet, staking, custody, transfer and rewards syncs,
#   portfolio snapshots and backfills, polls). Long (up to four minutes) and able to wait.
# - "default": short reads a page shows now (balances, sub-accounts) and upkeep (listen keys),
#   and anything not listed here (CELERY_TASK_DEFAULT_QUEUE).
# Every worker command must consume every queue between them: the Procfile's one worker takes
# all three, deploy/compose.yml runs one worker service per queue (tests/desk/test_queues.py).
CELERY_TASK_DEFAULT_QUEUE = "default"
DESK_TASK_QUEUES = {
    "exchange": (
        "convert.tasks.follow_otc_conversion",
        "convert.tasks.reconcile_conversions",
        "convert.tasks.send_dust_conversion",
        "convert.tasks.send_otc_conversion",
        "creditline.tasks.reconcile_credit_transfers",
        "creditline.tasks.send_credit_transfer",
        "custody.tasks.reconcile_custody",
        "custody.tasks.send_custodial_order",
        "custody.tasks.send_custody_transfer",
        "trading.tasks.reconcile_order",
        "trading.tasks.reconcile_order_list",
        "trading.tasks.reconcile_orders",
        "transfers.tasks.execute_run",
        "transfers.tasks.plan_transfers",
        "transfers.tasks.reconcile_transfers",
        "wallet.staking.tasks.plan_auto_stakes",
        "wallet.staking.tasks.reconcile_staking",
        "wallet.staking.tasks.send_staking_operation",
        "wallet.withdrawals.tasks.follow_withdrawals",
        "wallet.withdrawals.tasks.reconcile_withdrawals",
        "wallet.withdrawals.tasks.send_withdrawal",
    ),
    "history": (
        "creditline.tasks.poll_credit_line",
        "custody.tasks.sync_custody",
        "custody.tasks.sync_custody_all",
        "dashboard.tasks.backfill_portfolio",
        "dashboard.tasks.snapshot_portfolios",
        "rewards.tasks.follow_broker_export",
        "rewards.tasks.sweep_broker_exports",
        "rewards.tasks.sync_rewards",
        "rewards.tasks.sync_rewards_all",
        "trading.history.tasks.sync_history_all",
        "trading.history.tasks.sync_history_slice",
        "transfers.tasks.sync_transfer_history",
        "transfers.tasks.sync_transfer_history_all",
        "wallet.activity.tasks.sync_wallet_activity",
        "wallet.activity.tasks.sync_wallet_activity_all",
        "wallet.staking.tasks.sync_staking",
        "wallet.staking.tasks.sync_staking_all",
    ),
    "default": (
        "accounts.tasks.sync_all_balances",
        "accounts.tasks.sync_balances",
        "accounts.tasks.sync_subaccounts",
        "trading.tasks.keep_listen_keys_alive",
    ),
}
CELERY_TASK_ROUTES = {
    task: {"queue": queue} for queue, tasks in DESK_TASK_QUEUES.items() for task in tasks
}
# Balances older than this are refreshed when someone opens a page that shows them.
DESK_BALANCE_STALE_SECONDS = env_int("DESK_BALANCE_STALE_SECONDS", 60)
# Sub-account transfers (see transfers.runs for the run life cycle).
TRANSFER_STALE_SECONDS = env_int("TRANSFER_STALE_SECONDS", 120)  # > the execute task's time limit
TRANSFER_RECONCILE_GRACE_SECONDS = env_int("TRANSFER_RECONCILE_GRACE_SECONDS", 600)
TRANSFER_LATE_SECONDS = env_int("TRANSFER_LATE_SECONDS", 120)  # later than this = "missed"
# A scheduled run confirmed absent after the grace period is planned again this many times.
TRANSFER_REPLAN_ABSENT = env_int("TRANSFER_REPLAN_ABSENT", 1)
# Withdrawals (wallet.withdrawals): a claim older than this is handed back (> the send task's
# time limit); an unknown outcome absent from withdraw history after the grace is failed.
WITHDRAW_STALE_SECONDS = env_int("WITHDRAW_STALE_SECONDS", 120)
WITHDRAW_RECONCILE_GRACE_SECONDS = env_int("WITHDRAW_RECONCILE_GRACE_SECONDS", 300)
# Stake and unstake (wallet.staking): the same two periods for their intents.
STAKING_STALE_SECONDS = env_int("STAKING_STALE_SECONDS", 120)
STAKING_RECONCILE_GRACE_SECONDS = env_int("STAKING_RECONCILE_GRACE_SECONDS", 300)
# Credit line (creditline): each connection's account is polled at most this often (it weighs
# 10; the balance sweep asks every DESK_BALANCE_SYNC_SECONDS); its transfers' intents have the
# same two periods as the others.
CREDIT_LINE_POLL_SECONDS = env_int("CREDIT_LINE_POLL_SECONDS", 60)
CREDIT_TRANSFER_STALE_SECONDS = env_int("CREDIT_TRANSFER_STALE_SECONDS", 120)
CREDIT_TRANSFER_RECONCILE_GRACE_SECONDS = env_int("CREDIT_TRANSFER_RECONCILE_GRACE_SECONDS", 300)
# Custodian transfers and undos (custody): the same two periods for their intents.
CUSTODY_STALE_SECONDS = env_int("CUSTODY_STALE_SECONDS", 120)
CUSTODY_RECONCILE_GRACE_SECONDS = env_int("CUSTODY_RECONCILE_GRACE_SECONDS", 300)
# OTC and dust conversions (convert): the same two periods for their intents.
CONVERT_STALE_SECONDS = env_int("CONVERT_STALE_SECONDS", 120)
CONVERT_RECONCILE_GRACE_SECONDS = env_int("CONVERT_RECONCILE_GRACE_SECONDS", 300)
# Desk orders whose outcome is unknown (see trading.orders.reconcile).
ORDER_RECONCILE_GRACE_SECONDS = env_int("ORDER_RECONCILE_GRACE_SECONDS", 60)
ORDER_STALE_SECONDS = env_int("ORDER_STALE_SECONDS", 30)  # > EXCHANGE_TIMEOUT
# Account history (trading.history): how far back a new sync reaches, the share of the exchange's
# weight limit history may use per minute (the rest stays for orders), the slice length and the
# pause between forward syncs once backfill is done (live events cover the meantime).
HISTORY_BACKFILL_DAYS = env_int("HISTORY_BACKFILL_DAYS", 365)
HISTORY_WEIGHT_SHARE = float(env_str("HISTORY_WEIGHT_SHARE", "0.6"))
HISTORY_SLICE_SECONDS = env_int("HISTORY_SLICE_SECONDS", 20)
HISTORY_SLICE_REQUESTS = env_int("HISTORY_SLICE_REQUESTS", 50)
HISTORY_FORWARD_SECONDS = env_int("HISTORY_FORWARD_SECONDS", 300)
HISTORY_MAX_SYMBOLS = env_int("HISTORY_MAX_SYMBOLS", 12)
# Each pass re-reads the orders changed in this last stretch: the exchange's clock may run behind
# ours and allOrders reads a database that can lag the matching engine.
HISTORY_UPDATES_OVERLAP_SECONDS = env_int("HISTORY_UPDATES_OVERLAP_SECONDS", 60)
CELERY_BEAT_SCHEDULE = {
    "snapshot-portfolios": {
        "task": "dashboard.tasks.snapshot_portfolios",
        "schedule": env_int("PORTFOLIO_SNAPSHOT_SECONDS", 300),
    },
    "sync-wallet-activity": {
        "task": "wallet.activity.tasks.sync_wallet_activity_all",
        "schedule": env_int("WALLET_ACTIVITY_SYNC_SECONDS", 120),
    },
    "reconcile-withdrawals": {
        "task": "wallet.withdrawals.tasks.reconcile_withdrawals",
        "schedule": env_int("WITHDRAW_RECONCILE_SECONDS", 15),
    },
    "follow-withdrawals": {
        "task": "wallet.withdrawals.tasks.follow_withdrawals",
        "schedule": env_int("WITHDRAW_FOLLOW_SECONDS", 30),
    },
    "reconcile-staking": {
        "task": "wallet.staking.tasks.reconcile_staking",
        "schedule": env_int("STAKING_RECONCILE_SECONDS", 15),
    },
    "plan-auto-stakes": {
        "task": "wallet.staking.tasks.plan_auto_stakes",
        "schedule": env_int("AUTO_STAKE_PLAN_SECONDS", 60),
    },
    "sync-staking": {
        "task": "wallet.staking.tasks.sync_staking_all",
        "schedule": env_int("STAKING_SYNC_SECONDS", 300),
    },
    "reconcile-custody": {
        "task": "custody.tasks.reconcile_custody",
        "schedule": env_int("CUSTODY_RECONCILE_SECONDS", 15),
    },
    "sync-custody": {
        "task": "custody.tasks.sync_custody_all",
        "schedule": env_int("CUSTODY_SYNC_SECONDS", 300),
    },
    "reconcile-credit-transfers": {
        "task": "creditline.tasks.reconcile_credit_transfers",
        "schedule": env_int("CREDIT_TRANSFER_RECONCILE_SECONDS", 15),
    },
    "reconcile-conversions": {
        "task": "convert.tasks.reconcile_conversions",
        "schedule": env_int("CONVERT_RECONCILE_SECONDS", 15),
    },
    "sync-rewards": {
        "task": "rewards.tasks.sync_rewards_all",
        "schedule": env_int("REWARDS_SYNC_ALL_SECONDS", 600),
    },
    "sweep-broker-exports": {
        "task": "rewards.tasks.sweep_broker_exports",
        "schedule": env_int("BROKER_EXPORT_SWEEP_SECONDS", 60),
    },
    "sync-all-balances": {
        "task": "accounts.tasks.sync_all_balances",
        "schedule": env_int("DESK_BALANCE_SYNC_SECONDS", 30),
    },
    "plan-transfers": {
        "task": "transfers.tasks.plan_transfers",
        "schedule": env_int("TRANSFER_PLAN_SECONDS", 10),
    },
    "reconcile-transfers": {
        "task": "transfers.tasks.reconcile_transfers",
        "schedule": env_int("TRANSFER_RECONCILE_SECONDS", 15),
    },
    "sync-transfer-history": {
        "task": "transfers.tasks.sync_transfer_history_all",
        "schedule": env_int("TRANSFER_HISTORY_SYNC_SECONDS", 60),
    },
    "sync-account-history": {
        "task": "trading.history.tasks.sync_history_all",
        "schedule": env_int("HISTORY_SYNC_SECONDS", 60),
    },
    "reconcile-orders": {
        "task": "trading.tasks.reconcile_orders",
        "schedule": env_int("ORDER_RECONCILE_SECONDS", 15),
    },
    "keep-listen-keys-alive": {
        "task": "trading.tasks.keep_listen_keys_alive",
        "schedule": env_int("LISTEN_KEY_KEEPALIVE_SECONDS", 30 * 60),
    },
}

# --- Exchange endpoints -----------------------------------------------------------------------
# The embedded sandbox exchange (`python -m sandbox`) is the default; "live" is Binance.US itself.
SANDBOX_REST_URL = env_str("SANDBOX_REST_URL", "http://127.0.0.1:9900")
SANDBOX_WS_URL = env_str("SANDBOX_WS_URL", "ws://127.0.0.1:9900")
LIVE_REST_URL = env_str("LIVE_REST_URL", "https://api.binance.us")
LIVE_WS_URL = env_str("LIVE_WS_URL", "wss://stream.binance.us:9443")
# The WebSocket API (orders over one socket per trading connection, held by the stream process).
SANDBOX_WS_API_URL = env_str("SANDBOX_WS_API_URL", SANDBOX_WS_URL + "/ws-api/v3")
LIVE_WS_API_URL = env_str("LIVE_WS_API_URL", "wss://ws-api.binance.us:443/ws-api/v3")
# Which exchange the public market pages (order books, trades) read from.
MARKET_DATA_ENVIRONMENT = env_str("MARKET_DATA_ENVIRONMENT", "sandbox")
DESK_DEFAULT_SYMBOL = env_str("DESK_DEFAULT_SYMBOL", "BTCUSD")
# Market-data sockets are served by the fan-out server (`manage.py runfanout`) on this port of the
# same host; unset, pages use daphne's own /ws/market/ consumer (same origin).
DESK_FANOUT_PORT = env_str("DESK_FANOUT_PORT")
DESK_BOOK_DEPTH = 50
DESK_BOOK_PUBLISH_INTERVAL = 0.1  # seconds: at most 10 book updates per second per symbol
EXCHANGE_TIMEOUT = float(env_str("EXCHANGE_TIMEOUT", "10"))

# --- Security ---------------------------------------------------------------------------------
SESSION_ENGINE = "desk.sessions"  # Django's database sessions, read with SQL written once
SESSION_COOKIE_HTTPONLY = True
SESSION_COOKIE_AGE = env_int("SESSION_COOKIE_AGE", 60 * 60 * 12)
CSRF_COOKIE_HTTPONLY = True
X_FRAME_OPTIONS = "DENY"
SECURE_CONTENT_TYPE_NOSNIFF = True
SECURE_REFERRER_POLICY = "same-origin"
if not DEBUG:
    SESSION_COOKIE_SECURE = env_bool("SESSION_COOKIE_SECURE", True)
    CSRF_COOKIE_SECURE = env_bool("CSRF_COOKIE_SECURE", True)
    SECURE_SSL_REDIRECT = env_bool("SECURE_SSL_REDIRECT", True)
    SECURE_HSTS_SECONDS = env_int("SECURE_HSTS_SECONDS", 60 * 60 * 24 * 365)
    SECURE_HSTS_INCLUDE_SUBDOMAINS = True
    SECURE_HSTS_PRELOAD = env_bool("SECURE_HSTS_PRELOAD", False)
    # Behind a TLS-terminating proxy (the supported deployment), trust its scheme header.
    if env_bool("SECURE_PROXY_SSL_HEADER", True):
        SECURE_PROXY_SSL_HEADER = ("HTTP_X_FORWARDED_PROTO", "https")

SILENCED_SYSTEM_CHECKS = env_list("SILENCED_SYSTEM_CHECKS")
if not DEBUG and not SECURE_HSTS_PRELOAD:
    # Preload-list submission binds a domain (and its subdomains) to HTTPS for good; it is the
    # operator's decision (SECURE_HSTS_PRELOAD=1), so its absence is not a warning here.
    SILENCED_SYSTEM_CHECKS.append("security.W021")

EMAIL_BACKEND = env_str("EMAIL_BACKEND", "django.core.mail.backends.console.EmailBackend")
# For django.core.mail.backends.smtp.EmailBackend; the password may come from a file
# (EMAIL_HOST_PASSWORD_FILE), like every secret here.
EMAIL_HOST = env_str("EMAIL_HOST", "localhost")
EMAIL_PORT = env_int("EMAIL_PORT", 25)
EMAIL_HOST_USER = env_str("EMAIL_HOST_USER", "")
EMAIL_HOST_PASSWORD = env_str("EMAIL_HOST_PASSWORD", "")
EMAIL_USE_TLS = env_bool("EMAIL_USE_TLS", False)  # STARTTLS, usually on port 587
EMAIL_USE_SSL = env_bool("EMAIL_USE_SSL", False)  # TLS from the start, usually on port 465
EMAIL_TIMEOUT = env_int("EMAIL_TIMEOUT", 10)

LOGGING = {
    "version": 1,
    "disable_existing_loggers": False,
    "formatters": {"plain": {"format": "%(asctime)s %(levelname)s %(name)s: %(message)s"}},
    "handlers": {"console": {"class": "logging.StreamHandler", "formatter": "plain"}},
    "root": {"handlers": ["console"], "level": env_str("LOG_LEVEL", "INFO")},
    "loggers": {
        "daphne": {"level": "WARNING"},
        "django.channels.server": {"level": "WARNING"},
    },
}

CACHES = {
    "default": {
        # Django's, with one connection pool per process (see desk.cache).
        "BACKEND": "desk.cache.RedisCache",
        "LOCATION": REDIS_URL,
        "KEY_PREFIX": "desk",
    }
}
