"""The course's claims about RPC, each next to the numbers of this sweep (issue 12).

Called by ``distlab report`` (through ``distlab experiment``) with the sweep's tables; returns the Markdown
section "Claims of the lecture" of REPORT.md and draws figures/crossover.png (the study's key figures,
slices of this sweep declared in ``distlab.rpc_semantics.study.FIGURES``, are drawn by the report). Every number in the text is
computed from the results, and every claim ends in a bold verdict (:func:`distlab.report.verdict`) computed by
the rule written next to it; nothing is typed in. Numbers are printed by
:func:`distlab.report.units.format_value`, as in the results table.

A case is found by its configuration columns (the scenario files under scenario/ set them). Each case has
three trials (``repeats`` in sweep.yaml), each its own server process and calls; every number here is the
median over a case's successful trials (a latency: the median of the trials' medians over their calls),
so one trial slowed by the shared machine does not move it. (The results table above gives each case's
mean ± its 95% confidence interval over the same trials.)
"""

from __future__ import annotations

import io
from pathlib import Path
from typing import Any

import polars as pl

from distlab.report import verdict
from distlab.report.units import format_value

ELEMENT_BYTES = 256
LABEL = {"by_value": "by value", "copy_restore": "copy-restore", "copy_restore_readonly": "copy-restore, read-only opt.",
         "global_ref": "global reference (callbacks)", "global_ref_dir": "global reference (shared directory)"}
TIME_GAP = 10.0  # a remote call "visibly" remote: at least this many times a local call's time


def _cells(tables: Any) -> pl.DataFrame:
    """One row per case: its configuration, and each metric's median over the case's successful trials."""
    ok = tables.results.filter(pl.col("status") == "ok")
    metrics = [m.name for m in tables.metrics if m.name in ok.columns and ok.schema[m.name].is_numeric()]
    per_trial = {"repeat", "trial_seed", "status", "error_type", "error_message", "error_traceback", "job_dir"}
    config = [c for c in ok.columns if c not in metrics and c not in per_trial and c != "case_id"]
    ok = ok.group_by("case_id", maintain_order=True).agg(
        *[pl.col(c).first() for c in config],
        *[pl.col(m).cast(pl.Float64).median() for m in metrics],
        pl.len().alias("trials"),
    )
    if "world.peer" not in ok.columns:
        ok = ok.with_columns(pl.lit("python").alias("world.peer"))
    return ok.with_columns(
        pl.col("world.latency_ms").alias("lat"),
        pl.coalesce(pl.col("passing.detect"), pl.lit("")).alias("detect") if "passing.detect" in ok.columns
        else pl.lit("").alias("detect"),
        # Where a global reference's object lives: "callback" (its owner) or "directory" (a shared directory).
        pl.coalesce(pl.col("passing.store"), pl.lit("")).alias("store") if "passing.store" in ok.columns
        else pl.lit("").alias("store"),
    )


def _pick(cells: pl.DataFrame, **conds: Any) -> pl.DataFrame:
    """The rows whose columns (``__`` for ``.``) have the given values (``None``: null, e.g. an unlimited link)."""
    out = cells
    for key, value in conds.items():
        col = key.replace("__", ".")
        if col not in out.columns:
            return out.clear()
        out = out.filter(pl.col(col).is_null() if value is None else pl.col(col) == value)
    return out


def _one(cells: pl.DataFrame, **conds: Any) -> dict[str, Any] | None:
    rows = _pick(cells, **conds)
    return rows.row(0, named=True) if rows.height else None


def _us(value: float) -> str:
    return format_value(value * 1e-6, "s")


def _bytes(value: float) -> str:
    return format_value(value, "bytes")


def _table(head: list[str], rows: list[list[str]]) -> list[str]:
    return ["| " + " | ".join(head) + " |", "|" + "---|" * len(head), *["| " + " | ".join(r) + " |" for r in rows], ""]


def _save(fig: Any, path: Path) -> None:
    import matplotlib.pyplot as plt

    from distlab import store

    buffer = io.BytesIO()
    fig.savefig(buffer, format="png", dpi=100, bbox_inches="tight")
    plt.close(fig)
    store.write_bytes(path, buffer.getvalue())


def _crossover_figure(cells: pl.DataFrame, path: Path) -> None:
    import matplotlib

    matplotlib.use("Agg")
    import matplotlib.pyplot as plt

    sizes = [64, 1024]
    fracs = sorted(_pick(cells, call_mix="append_list", stub="generated", binding="static", serializer="xdr",
                         world__bandwidth_mbit_s=100.0)["call_mix.fraction_changed"].unique().to_list())
    fig, axes = plt.subplots(1, len(sizes), figsize=(12, 4.6), squeeze=False)
    # (passing, detect, store): colour per mode, marker per share changed.
    styles = {("copy_restore", "", ""): ("copy_restore", "tab:blue", "-"),
              ("copy_restore_readonly", "chunk", ""): ("copy_restore_readonly", "tab:green", "--"),
              ("global_ref", "", "callback"): ("global_ref", "tab:red", "-"),
              ("global_ref", "", "directory"): ("global_ref_dir", "tab:purple", ":")}
    for ax, size in zip(axes[0], sizes):
        for (passing, detect, where), (name, color, ls) in styles.items():
            for frac, marker in zip(fracs, ("o", "s", "^")):
                rows = _pick(cells, call_mix="append_list", passing=passing, call_mix__list_length=size,
                             call_mix__fraction_changed=frac, stub="generated", world__bandwidth_mbit_s=100.0,
                             detect=detect, store=where).sort("lat")
                if rows.height:
                    ax.plot(rows["lat"], rows["call_latency_p50_us"] / 1e3, color=color, ls=ls, marker=marker,
                            mfc="none", label=f"{LABEL[name]}, {frac:.0%} changed")
        ax.set_yscale("log")
        ax.set_title(f"append on {size} elements of {ELEMENT_BYTES} B, 100 Mbit/s link", fontsize=10)
        ax.set_xlabel("one-way link latency (ms)")
        ax.set_ylabel("median call time (ms)")
        ax.grid(alpha=0.3, which="both")
    handles, labels = axes[0][0].get_legend_handles_labels()
    fig.legend(handles, labels, fontsize=8, loc="upper center", bbox_to_anchor=(0.5, 0.0), ncol=4, frameon=False)
    fig.tight_layout()
    _save(fig, path)


def analyze(tables: Any, figures_dir: Path) -> str:
    """The claims section of the report."""
    everything = _cells(tables)
    cells = everything.filter(pl.col("world.peer") == "python")  # the C peer has its own section
    lats = sorted(cells["lat"].unique().to_list())
    trials = sorted(everything["trials"].unique().to_list())
    each = (f"{trials[0]} trial{'s' if trials[0] != 1 else ''} each" if len(trials) == 1
            else f"{trials[0]} to {trials[-1]} successful trials each")
    out = ["## Claims of the lecture", "",
           "Each claim about RPC in the course material, the rule used to judge it, and this sweep's numbers. "
           f"{everything.height} cases ({cells.height} against distlab's server, {everything.height - cells.height} "
           f"against the C peer), {each} (a case's number is the median over its trials), at one-way link "
           "latencies of "
           f"{', '.join(format_value(x * 1e-3, 's', trim=True) for x in lats)} (a user-space relay: the link_method "
           "column is 1 wherever a link was shaped; this kernel has no netem). Times are medians over the calls of "
           "a trial, as the caller sees them; bytes are per logical call, both directions, record marks, binder "
           "lookups and callbacks included.", ""]

    # 1. By value is straightforward; a reference parameter cannot simply be copied in.
    rows, holds, total = [], 0, 0
    for lat in lats:
        read = _one(cells, passing="by_value", call_mix="read_mostly", call_mix__write_fraction=0.0, lat=lat)
        alias = _one(cells, passing="by_value", call_mix="aliasing", lat=lat)
        if read is None or alias is None:
            continue
        total += 1
        holds += read["result_correct"] == 1.0 and alias["result_correct"] < 1.0
        rows.append([format_value(lat * 1e-3, "s", trim=True), format_value(read["result_correct"]),
                     format_value(alias["result_correct"])])
    out += ["### Passing by value is straightforward; by reference it is not",
            "Rule: by value gives the local call's result where the callee only reads its list (a lookup: "
            "`result_correct` = 1) and loses the callee's writes where it changes its arguments (`alias`: "
            "`result_correct` < 1).", "",
            *_table(["latency", "lookup, read only", "alias (callee appends)"], rows),
            verdict(holds, total, "by value is exact only for parameters the callee reads", name="by_value"), ""]

    # 2. Copy-restore is pass-by-value twice, and differs from a reference under aliasing.
    rows, holds, total = [], 0, 0
    modes = [("copy_restore", "", "", "copy_restore"), ("copy_restore_readonly", "chunk", "", "copy_restore_readonly"),
             ("global_ref", "", "callback", "global_ref"), ("global_ref", "", "directory", "global_ref_dir")]
    for lat in lats:
        for passing, detect, where, name in modes:
            plain = _pick(cells, passing=passing, detect=detect, store=where, lat=lat, stub="generated",
                          world__move_every=0).filter(pl.col("call_mix") != "aliasing")
            alias = _one(cells, passing=passing, detect=detect, store=where, call_mix="aliasing", lat=lat,
                         stub="generated")
            if plain.height == 0 or alias is None:
                continue
            exact = float(plain["result_correct"].min())
            expect_alias_ok = passing == "global_ref"
            total += 1
            holds += exact == 1.0 and ((alias["result_correct"] == 1.0) == expect_alias_ok)
            rows.append([format_value(lat * 1e-3, "s", trim=True), LABEL[name], str(plain.height),
                         format_value(exact), format_value(alias["result_correct"])])
    out += ["### Copy-restore gives a reference's result, except when arguments alias",
            "Rule: copy-restore (with or without the read-only optimization) and global references give the local "
            "call's result in every non-aliasing case (lowest `result_correct` = 1); with one list passed as both "
            "arguments of `alias(a, b)`, copy-restore copies both back and the last copy wins (mark_a is lost: "
            "`result_correct` = 0) while a global reference, like a local pointer, sees both appends (= 1), "
            "whether the object is reached by callbacks or kept in a directory both sides reach.", "",
            *_table(["latency", "passing", "non-aliasing cases", "lowest result_correct", "alias(a, a)"], rows),
            verdict(holds, total, "copy-restore equals a reference except under aliasing", name="copy_restore"), ""]

    # 3. The read-only optimization.
    rows, holds, total = [], 0, 0
    families = [("append_list", {"call_mix__list_length": n, "call_mix__fraction_changed": f})
                for n in (64, 1024) for f in (0.0, 0.02, 0.1)]
    families += [("read_mostly", {"call_mix__write_fraction": w}) for w in (0.0, 0.1)]
    for lat in lats:
        for mix, conds in families:
            cr = _one(cells, passing="copy_restore", call_mix=mix, lat=lat, stub="generated",
                      world__bandwidth_mbit_s=100.0, **conds)
            ro = _one(cells, passing="copy_restore_readonly", detect="chunk", call_mix=mix, lat=lat,
                      stub="generated", world__bandwidth_mbit_s=100.0, **conds)
            if cr is None or ro is None:
                continue
            n = cr["call_mix.list_length"]
            untouched = (mix == "append_list" and conds["call_mix__fraction_changed"] == 0.0) or \
                        (mix == "read_mostly" and conds["call_mix__write_fraction"] == 0.0)
            saved = cr["bytes_on_wire"] - ro["bytes_on_wire"]
            # Untouched: the whole list stays home (n elements of 256 bytes and their length words); else less.
            ok = saved >= n * (ELEMENT_BYTES + 4) - 8 if untouched else saved > 0
            total += 1
            holds += ok
            what = ", ".join(f"{k.split('__')[-1]} {v:g}" for k, v in conds.items())
            rows.append([format_value(lat * 1e-3, "s", trim=True), f"{mix} ({what})", _bytes(cr["bytes_on_wire"]),
                         _bytes(ro["bytes_on_wire"]), format_value(saved / cr["bytes_on_wire"], "%"),
                         _us(cr["call_latency_p50_us"]), _us(ro["call_latency_p50_us"])])
    rp = _one(cells, passing="copy_restore_readonly", detect="parameter", call_mix="append_list", lat=lats[0])
    rp_line = ""
    if rp is not None:
        cr = _one(cells, passing="copy_restore", call_mix="append_list", lat=lats[0], stub="generated",
                  call_mix__list_length=rp["call_mix.list_length"],
                  call_mix__fraction_changed=rp["call_mix.fraction_changed"], world__bandwidth_mbit_s=100.0)
        if cr is not None:
            rp_line = (f"Detected per parameter instead of per chunk, the same append "
                       f"({rp['call_mix.fraction_changed']:g} of {rp['call_mix.list_length']} elements changed) "
                       f"sends {_bytes(rp['bytes_on_wire'])} against copy-restore's {_bytes(cr['bytes_on_wire'])}: "
                       "a list with any change comes back whole.")
    out += ["### The read-only optimization: data the server did not change is not returned",
            "Rule: with the read-only optimization (chunks of one element, directions declared as DCE IDL does), a "
            "call whose list the server left alone saves at least the whole list's return trip "
            f"(n × ({ELEMENT_BYTES} + 4) bytes); a call that changed some of it still sends fewer bytes than "
            "copy-restore.", "",
            *_table(["latency", "call", "copy-restore bytes", "read-only bytes", "saved", "copy-restore time",
                     "read-only time"], rows),
            *([rp_line, ""] if rp_line else []),
            verdict(holds, total, "the read-only optimization returns nothing for unchanged data", name="readonly"), ""]

    # 4. Copy-restore against global references.
    _crossover_figure(cells, figures_dir / "crossover.png")
    rows, holds, total = [], 0, 0
    for n in (64, 1024):
        for f in (0.0, 0.02, 0.1):
            for lat in lats:
                common = dict(call_mix="append_list", lat=lat, stub="generated", call_mix__list_length=n,
                              call_mix__fraction_changed=f, world__bandwidth_mbit_s=100.0)
                cr = _one(cells, passing="copy_restore", **common)
                gr = _one(cells, passing="global_ref", store="callback", **common)
                gd = _one(cells, passing="global_ref", store="directory", **common)
                if cr is None or gr is None:
                    continue
                winner = "copy-restore" if cr["call_latency_p50_us"] < gr["call_latency_p50_us"] else "global ref"
                # The claim judged where the lecture's reasoning is clear-cut: many elements touched over a link
                # with latency (a round trip each) -> copy-restore; nothing touched in a big list -> global ref.
                if f >= 0.1 and lat >= 1:
                    total += 1
                    holds += winner == "copy-restore"
                elif f == 0.0 and n == 1024:
                    total += 1
                    holds += winner == "global ref"
                rows.append([str(n), format_value(f, "%", trim=True), format_value(lat * 1e-3, "s", trim=True),
                             _us(cr["call_latency_p50_us"]), _us(gr["call_latency_p50_us"]),
                             "–" if gd is None else _us(gd["call_latency_p50_us"]),
                             format_value(gr["callbacks"]), _bytes(cr["bytes_on_wire"]),
                             _bytes(gr["bytes_on_wire"]), "–" if gd is None else _bytes(gd["bytes_on_wire"]), winner])
    out += ["### When copy-restore beats global references",
            "A global reference moves only what the callee touches, one round trip (a callback to the owner) per "
            "element read or written; copy-restore moves the whole list twice in one round trip. Rule: where the "
            "callee changes 10% of the list over a link with latency (≥ 1 ms each way), copy-restore is faster; "
            "where it changes nothing of a 1024-element list (one callback, to append), the global reference is "
            "faster. The other settings are shown, not judged. The global reference through a shared directory "
            "(next claim) is shown beside them.", "",
            "![median call time, copy-restore against global references](figures/crossover.png)", "",
            *_table(["elements", "changed", "latency", "copy-restore", "global ref (callbacks)", "global ref (directory)",
                     "callbacks", "copy-restore bytes", "global ref bytes (callbacks)", "global ref bytes (directory)",
                     "faster (copy-restore or callbacks)"], rows),
            verdict(holds, total, "copy-restore wins when much is touched over latency; global refs when little",
                    name="crossover"), ""]

    # 4b. The other store of global references: a directory both sides reach.
    rows, holds, total = [], 0, 0
    ref_rows = _pick(cells, passing="global_ref", store="directory", stub="generated")
    for r in ref_rows.sort(["call_mix", "call_mix.list_length", "call_mix.fraction_changed", "lat"],
                           nulls_last=True).iter_rows(named=True):
        total += 1
        holds += r["callbacks"] == 0 and r["round_trips"] == 1 and r["result_correct"] == 1.0
    faster, compared = 0, 0
    for n in (64, 1024):
        for lat in lats:
            if lat < 1:
                continue
            common = dict(call_mix="append_list", lat=lat, stub="generated", call_mix__list_length=n,
                          call_mix__fraction_changed=0.1, world__bandwidth_mbit_s=100.0)
            gr = _one(cells, passing="global_ref", store="callback", **common)
            gd = _one(cells, passing="global_ref", store="directory", **common)
            if gr is None or gd is None:
                continue
            compared += 1
            faster += gd["call_latency_p50_us"] < gr["call_latency_p50_us"]
            rows.append([str(n), format_value(lat * 1e-3, "s", trim=True), _us(gr["call_latency_p50_us"]),
                         _us(gd["call_latency_p50_us"]), format_value(gr["callbacks"]), format_value(gd["callbacks"]),
                         _bytes(gr["bytes_on_wire"]), _bytes(gd["bytes_on_wire"])])
    alias_gd = [r for r in ref_rows.iter_rows(named=True) if r["call_mix"] == "aliasing"]
    out += ["### A global reference through a store both reach needs no callbacks",
            "The handle names a directory both processes reach (`global_ref` with `store: directory`; here a "
            "RAM-backed directory of this machine, /dev/shm, standing for a shared file system): the server reads "
            "and writes the list's files itself (one file per element), and the caller reads its list back when "
            "the call returns. The caller keeps its list in memory between calls, so each call also moves it into "
            "the directory and back: that is in its time, and makes it slower than copy-restore where the callee "
            "touches little of a large list. The files cross no link, so they are not in the bytes on the wire "
            "(on a network file system they would be). Rule: in every case it keeps the "
            "reference semantics, aliasing included (`result_correct` = 1), with no callback and one round trip "
            f"per call ({len(alias_gd)} of its cases are `alias(a, a)`).", "",
            verdict(holds, total, "a shared-directory reference is a reference without callbacks", unit="cases",
                    name="directory_ref"), "",
            "And where the callee changes 10% of the list over a link with latency (≥ 1 ms), it is faster than "
            "callbacks (one round trip per element read or written); judged, not assumed:", "",
            *_table(["elements", "latency", "callbacks: time", "directory: time", "callbacks per call",
                     "directory: callbacks", "callbacks: bytes", "directory: bytes"], rows),
            verdict(faster, compared, "the directory store beats callbacks when much is touched over latency",
                    name="directory_vs_callbacks"), ""]

    # 5. Binding through the daemon.
    rows, holds, total = [], 0, 0
    for lat in lats:
        st = _one(cells, binding="static", world__move_every=0, lat=lat, call_mix__list_length=64,
                  world__bandwidth_mbit_s=None)
        bd = _one(cells, binding="binder", lat=lat)
        bc = _one(cells, binding="binder_cached", world__move_every=0, lat=lat)
        if st is None or bd is None or bc is None:
            continue
        extra = bd["call_latency_p50_us"] - st["call_latency_p50_us"]
        total += 1
        # One more exchange (and a TCP connection: the lookup opens one, as pmap_getport does) per call, at
        # least one round trip of the link; cached, the lookup is gone: no more exchanges than static.
        holds += extra >= 2 * lat * 1e3 and bd["round_trips"] >= 2 and bc["round_trips"] == st["round_trips"]
        rows.append([format_value(lat * 1e-3, "s", trim=True), _us(st["call_latency_p50_us"]),
                     _us(bd["call_latency_p50_us"]), _us(bc["call_latency_p50_us"]), format_value(st["round_trips"]),
                     format_value(bd["round_trips"]), format_value(bc["round_trips"])])
    out += ["### Binding through the daemon costs a round trip per call, unless the answer is cached",
            "Rule: asking `distlab binder` before every call adds at least one round trip of the link to each call "
            "(`round_trips` ≥ 2 and the median call slower by ≥ 2 × latency); looking up once (`binder_cached`) "
            "makes as many exchanges per call as a static address.", "",
            *_table(["latency", "static", "binder", "binder, cached", "round trips static", "binder", "cached"], rows),
            verdict(holds, total, "binding through the daemon costs a round trip unless cached", name="binder_cost"),
            ""]
    rows, holds, total = [], 0, 0
    for lat in lats:
        st = _one(cells, binding="static", world__move_every=10, lat=lat)
        bc = _one(cells, binding="binder_cached", world__move_every=10, lat=lat)
        if st is None or bc is None:
            continue
        total += 1
        holds += bc["failed_calls"] == 0 and bc["result_correct"] == 1.0 and st["failed_calls"] > 0
        rows.append([format_value(lat * 1e-3, "s", trim=True), format_value(st["failed_calls"], trim=True),
                     format_value(bc["failed_calls"], trim=True),
                     format_value(bc["round_trips"])])
    out += ["### A cached binding recovers when the server moves",
            "The server restarts on another port every 10 calls (it unregisters and registers again with the "
            "binder). Rule: `binder_cached` loses no call (it looks up again when the old address refuses), while a "
            "static address loses every call after the first move.", "",
            *_table(["latency", "static: calls lost", "cached: calls lost", "cached: round trips per call"], rows),
            verdict(holds, total, "a cached binding recovers when the server moves", name="rebind"), ""]

    # 6. Byte order.
    rows, holds, total = [], 0, 0
    order = {"xdr": ("xdr", None, "same"), "ndr, both little-endian": ("ndr", "little", "little"),
             "ndr, little to big-endian": ("ndr", "little", "big"), "ndr, both big-endian": ("ndr", "big", "big")}
    for lat in lats:
        found = {}
        for name, (ser, bo, peer) in order.items():
            conds: dict[str, Any] = dict(serializer=ser, world__peer_byte_order=peer, lat=lat,
                                         world__bandwidth_mbit_s=None, call_mix="append_list", call_mix__list_length=1024)
            if bo is not None:
                conds["serializer__byte_order"] = bo
            found[name] = _one(cells, **conds)
        if any(v is None for v in found.values()):
            continue
        xdr, same, cross = found["xdr"], found["ndr, both little-endian"], found["ndr, little to big-endian"]
        total += 1
        holds += same["call_latency_p50_us"] <= xdr["call_latency_p50_us"] and \
            same["call_latency_p50_us"] <= cross["call_latency_p50_us"]
        rows.append([format_value(lat * 1e-3, "s", trim=True),
                     *[f"{_us(v['call_latency_p50_us'])}, {_bytes(v['bytes_on_wire'])}" for v in found.values()]])
    out += ["### Byte order: XDR converts on every little-endian machine, NDR only between unlike machines",
            "XDR has one canonical order (big-endian): a little-endian sender and receiver both convert. NDR "
            "writes the sender's order and the receiver converts only if its own differs. This machine is "
            "little-endian; the server's sending order is a parameter (`world.peer_byte_order`), so a big-endian "
            "peer is simulated by the order it writes, not run on big-endian hardware. Rule: NDR between two "
            "little-endian ends is no slower than XDR and no slower than NDR with a big-endian peer (append on "
            "1024 elements, unlimited link).", "",
            *_table(["latency", *order], rows),
            verdict(holds, total, "NDR between like machines is cheaper than XDR", name="byte_order"), ""]

    # 6b. The real big-endian peer.
    rows, holds, total = [], 0, 0
    for lat in lats:
        for name, conds in (("append, copy-restore", dict(call_mix="append_list", passing="copy_restore",
                                                           call_mix__list_length=1024, world__bandwidth_mbit_s=None)),
                            ("alias(a, a), copy-restore", dict(call_mix="aliasing", passing="copy_restore",
                                                                world__bandwidth_mbit_s=100.0)),
                            ("alias(a, a), global reference", dict(call_mix="aliasing", passing="global_ref", store="callback",
                                                                    world__bandwidth_mbit_s=100.0))):
            py = _one(everything, world__peer="python", serializer="xdr", stub="generated", lat=lat, binding="static",
                      world__move_every=0, **conds)
            found = {arch: _one(everything, world__peer=f"c_{arch}", lat=lat, **conds) for arch in ("native", "s390x")}
            if py is None or found["s390x"] is None:
                continue
            total += 1
            holds += found["s390x"]["result_correct"] == py["result_correct"]
            cells_ = [format_value(lat * 1e-3, "s", trim=True), name,
                      f"{format_value(py['result_correct'])}, {_us(py['call_latency_p50_us'])}"]
            for arch in ("native", "s390x"):
                v = found[arch]
                cells_.append("–" if v is None else f"{format_value(v['result_correct'])}, {_us(v['call_latency_p50_us'])}")
            rows.append(cells_)
    out += ["### A real big-endian peer: the same results through XDR",
            "The C peer is semantics.x compiled by rpcgen and served by libtirpc, built for this machine "
            "(little-endian x86-64) and for s390x (big-endian) and run under qemu-user. Rule: the big-endian peer "
            "gives the same `result_correct` as distlab's server in the same setting (XDR's canonical order makes "
            "the machines' byte orders invisible). Its times include qemu's emulation of every instruction, so they "
            "do not isolate what byte order costs; the NDR rows above do that, with the order as a parameter.", "",
            *_table(["latency", "call", "distlab server: correct, time", "C native", "C s390x (big-endian)"], rows),
            verdict(holds, total, "a big-endian peer gives the same results", name="big_endian_peer"), ""]

    # 7. Remote against local.
    ratio = (cells["call_latency_p50_us"] * 1e3 / cells["local_call_ns"])
    holds = int((ratio >= TIME_GAP).sum())
    out += ["### A remote call differs from a local one only in its time",
            "Rule: the result is covered by the claims above (copy-restore and global references reproduce the "
            "local call's result except under aliasing); here, a remote call is visibly slower: at least "
            f"{TIME_GAP:g} times the same function called locally on a copy.", "",
            f"Remote over local time, over the {cells.height} cases against distlab's server: lowest {format_value(float(ratio.min()))}×, "
            f"median {format_value(float(ratio.median()))}×, highest {format_value(float(ratio.max()))}× (the "
            f"local call took {format_value(float(cells['local_call_ns'].median()) * 1e-9, 's')} at the median).",
            "", verdict(holds, cells.height, "a remote call is far slower than a local one", unit="cases",
                        name="remote_vs_local"), ""]

    # 8. Stubs.
    lines = float(cells["stub_lines"].median())
    c_lines = float(cells["stub_lines_rpcgen"].median())
    rows, holds, total = [], 0, 0
    for lat in lats:
        for mix, passing, conds in (("append_list", "copy_restore", {"call_mix__list_length": 1024,
                                                               "call_mix__fraction_changed": 0.02}),
                                    ("aliasing", "global_ref", {"store": "callback"})):
            gen = _one(cells, stub="generated", call_mix=mix, passing=passing, lat=lat,
                       world__bandwidth_mbit_s=100.0, **conds)
            dyn = _one(cells, stub="dynamic", call_mix=mix, passing=passing, lat=lat, **conds)
            if gen is None or dyn is None:
                continue
            total += 1
            holds += gen["result_correct"] == dyn["result_correct"] and gen["callbacks"] == dyn["callbacks"]
            rows.append([format_value(lat * 1e-3, "s", trim=True), f"{mix}, {LABEL[passing]}",
                         format_value(gen["result_correct"]), format_value(dyn["result_correct"]),
                         _bytes(gen["bytes_on_wire"]), _bytes(dyn["bytes_on_wire"]),
                         _us(gen["call_latency_p50_us"]), _us(dyn["call_latency_p50_us"])])
    out += ["### Stubs generated from an IDL remove boilerplate",
            f"Over the system's .x files, distlab's IDL compiler writes {format_value(lines)} lines of Python per "
            f"IDL line, and rpcgen {format_value(c_lines)} lines of C (header, XDR routines, client and server "
            "stubs): code nobody writes by hand. Rule: more than one generated line per IDL line.", "",
            verdict(int(lines > 1) + int(c_lines > 1), 2, "an IDL saves boilerplate", unit="compilers",
                    name="stub_lines"), "",
            "A dynamic stub (no IDL: every value carries its type, every call its procedure's name, as Java RMI) "
            "gives the same results at a price in bytes and time. Rule: same `result_correct` and callbacks as the "
            "generated stub in the same setting.", "",
            *_table(["latency", "call", "generated: correct", "dynamic: correct", "generated bytes", "dynamic bytes",
                     "generated time", "dynamic time"], rows),
            verdict(holds, total, "a dynamic stub gives the generated stub's results", name="dynamic_stub"), ""]
    return "\n".join(out)
