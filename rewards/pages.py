"""What the Rewards tab and the Broker page show: each page with its forms, and its live part
(the part the page's script swaps in after a push)."""

from __future__ import annotations

from django.shortcuts import render

from rewards import reads, selectors
from rewards.forms import (
    AgentCodeForm,
    CustomizeForm,
    ExportForm,
    FindCustomizationForm,
    KickbacksForm,
    PartnerForm,
    RebatesForm,
    UserCustomizeForm,
)
from rewards.models import BizType

# -- Rewards tab -------------------------------------------------------------------------------


def rewards_live_context(connection) -> dict:
    return {
        "connection": connection,
        "profile": selectors.profile_of(connection=connection),
        "totals": selectors.totals(connection=connection),
        "as_referrer": selectors.recent_referrals(connection=connection, biz_type=BizType.REFERRER),
        "as_referee": selectors.recent_referrals(connection=connection, biz_type=BizType.REFEREE),
        "rebates": selectors.recent_rebates(connection=connection),
        "series": selectors.chart_series(connection=connection),
        "recent": selectors.RECENT,
    }


def rewards_page(request, connection, *, partner_form: PartnerForm | None = None):
    """The tab; with a refused form, shown with its errors and 200 (as the desk's other refused
    forms are)."""
    context = rewards_live_context(connection)
    profile = context["profile"]
    initial = {"partner_id": profile.partner_id if profile else ""}
    context["partner_form"] = partner_form or PartnerForm(initial=initial)
    return render(request, "rewards/index.html", context)


# -- Broker page -------------------------------------------------------------------------------


def broker_live_context(connection) -> dict:
    return {"connection": connection, "exports": selectors.export_list(connection=connection)}


def _customizations(connection, find: FindCustomizationForm, cached: bool) -> reads.Read | None:
    if not find.is_valid():
        return None
    return reads.customizations(connection=connection, cached_only=cached, **find.lookup())


def _rebates(connection, form: RebatesForm, cached: bool) -> reads.Read | None:
    if not form.is_valid():
        return None
    start, end = form.window()
    customer_id = form.cleaned_data["rebates_customer_id"] or None
    return reads.broker_rebates(
        connection=connection, customer_id=customer_id, start=start, end=end, cached_only=cached
    )


def _kickbacks(connection, form: KickbacksForm, cached: bool) -> reads.Read | None:
    if not form.is_valid():
        return None
    start, end = form.window()
    return reads.kickbacks(connection=connection, start=start, end=end, cached_only=cached)


def _mine(connection, agent_code: str, cached: bool) -> reads.Read | None:
    if not agent_code:
        return None
    return reads.user_customization(
        connection=connection, agent_code=agent_code, cached_only=cached
    )


def _editing(request, found: reads.Read | None) -> dict:
    """The customize form's initial values for "Edit" of a listed customization (?edit=email):
    edited by customizing the same e-mail again."""
    email = request.GET.get("edit", "")
    if not email or found is None or found.value is None:
        return {}
    row = next((c for c in found.value if c.email == email), None)
    return {"email": row.email, "customer_id": row.customer_id} if row else {}


def broker_page(request, connection, **forms):
    """The Broker page; ``forms`` are refused POST forms to show with their errors. Such a page
    shows the exchange's records only as far as they are cached: a refusal sends nothing."""
    cached = bool(forms)
    profile = selectors.profile_of(connection=connection)
    agent_code = profile.agent_code if profile else ""
    find = FindCustomizationForm(request.GET)
    rebates_form = RebatesForm(request.GET)
    kickbacks_form = KickbacksForm(request.GET)
    found = _customizations(connection, find, cached)
    context = broker_live_context(connection)
    context.update(
        profile=profile,
        agent_code=agent_code,
        agent_form=forms.get("agent_form") or AgentCodeForm(initial={"agent_code": agent_code}),
        customize_form=forms.get("customize_form")
        or CustomizeForm(initial=_editing(request, found)),
        user_form=forms.get("user_form") or UserCustomizeForm(),
        export_form=forms.get("export_form") or ExportForm(),
        find_form=find,
        customizations=found,
        mine=_mine(connection, agent_code, cached),
        rebates_form=rebates_form,
        rebates=_rebates(connection, rebates_form, cached),
        kickbacks_form=kickbacks_form,
        kickbacks=_kickbacks(connection, kickbacks_form, cached),
        editing=bool(request.GET.get("edit")),
    )
    return render(request, "rewards/broker.html", context)
