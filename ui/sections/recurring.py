"""The Recurring locations page's near-repeat section: the Knox test and its tables, and
near-repeat chains for analysts."""

from __future__ import annotations

import streamlit as st

from geo.core.filters import Filters
from geo.core.headers import human_headers
from geo.core.roles import Role
from geo.lenses.recurring import NEAR_REPEAT_LAYERS
from ui.cache import recurring
from ui.context import PageContext
from ui.exports import export_buttons

__all__ = ["near_repeats"]


def near_repeats(ctx: PageContext, window: Filters) -> None:
    """The "Near repeats" section over ``window``: the Knox verdict and ratios, how they
    are worked out, and (analysts only) the observed and expected pairs and the chains.

    Parameters
    ----------
    ctx : PageContext
        The page's context.
    window : Filters
        The ranking's window (:meth:`PageContext.window`).
    """
    fp, version, role, store = ctx.fp, ctx.version, ctx.role, ctx.store
    st.subheader("Near repeats")
    layer = "incidents"
    if ctx.loaded("ed_assaults", window):  # A&E assaults are timed to the minute too
        layer = st.radio(
            "Near repeats of",
            list(NEAR_REPEAT_LAYERS),
            format_func=lambda k: NEAR_REPEAT_LAYERS[k][0].upper() + NEAR_REPEAT_LAYERS[k][1:],
            horizontal=True,
            key="nr_layer",
        )
    words = NEAR_REPEAT_LAYERS[layer]
    knox = recurring.knox(fp, version, role, window, layer)
    untimed = recurring.untimed_note(fp, version, role, window) if layer == "incidents" else ""
    if untimed:
        st.caption(untimed)
    if knox is None:
        if not untimed:
            st.caption(f"Too few {words} with a time of day for a near-repeat test.")
        return
    st.write(recurring.knox_verdict(fp, version, role, window, layer))
    st.markdown(f"**How much more often than chance {words} follow one another**")
    st.caption(
        f"Knox ratio by distance (rows) and time (columns) between pairs of {words}: "
        "1 is what chance gives; 2 means twice as many pairs as chance."
    )
    ratios = knox.ratio.round(2).rename_axis("Distance")
    st.dataframe(ratios, width="stretch")
    export_buttons(store, "Knox ratios", table=ratios, key="knox_ratio_download")
    with st.expander("How this is worked out"):
        st.caption(
            "Each ratio is the observed number of pairs over the number expected when times are "
            f"shuffled among places ({knox.permutations:,} shuffles); the p-value is the share "
            "of shuffles with at least as many pairs. A pattern is named only when the ratio "
            "is 1.2 or more and significant once the combinations tried are allowed for."
        )
        st.markdown("**p-value of each ratio**")
        st.dataframe(knox.p.round(3).rename_axis("Distance"), width="stretch")
        export_buttons(store, "Knox p-values", table=knox.p.round(3), key="knox_p_download")
        if role != Role.PARTNERSHIP:
            st.markdown("**Observed pairs**")
            st.dataframe(knox.observed.rename_axis("Distance"), width="stretch")
            export_buttons(
                store, "Knox observed pairs", table=knox.observed, key="knox_obs_download"
            )
            st.markdown("**Expected pairs (mean of the shuffles)**")
            st.dataframe(knox.expected.round(1).rename_axis("Distance"), width="stretch")
            export_buttons(
                store, "Knox expected pairs", table=knox.expected.round(1), key="knox_exp_download"
            )
    if role != Role.PARTNERSHIP:
        with st.expander(f"Near-repeat chains ({words} within 100 m and 7 days of another)"):
            chain_table = human_headers(recurring.chains(fp, version, ctx.res, window, layer))
            st.dataframe(chain_table.head(50), hide_index=True, width="stretch")
            st.caption(f"{len(chain_table):,} chains; the largest 50 shown.")
            export_buttons(
                store, "near-repeat chains", table=chain_table.head(50), key="chains_download"
            )
