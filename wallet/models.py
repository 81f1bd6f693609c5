"""The wallet's models live with their packages; Django finds them through this module."""

from wallet.activity.models import *  # noqa: F403
from wallet.staking.models import *  # noqa: F403
from wallet.withdrawals.models import *  # noqa: F403
