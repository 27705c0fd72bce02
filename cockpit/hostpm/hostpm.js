/* SPDX-License-Identifier: LGPL-2.1-or-later */

/* hostpm's Cockpit page: org.hostpm1 on the system bus through cockpit.dbus,
 * as the logged-in user, so hostpmd and polkit decide what that user may do.
 * Calls that change something allow interactive authorization, so that
 * Cockpit's polkit agent can ask for a password.
 *
 * Text that comes from the host (errors, logind's answers, other users'
 * inhibitor reasons) only ever goes into the page as textContent. */

"use strict";

(function () {
    const BUS_NAME = "org.hostpm1";
    const PATH = "/org/hostpm1";
    const IFACE = "org.hostpm1.Manager";
    const USEC = 1000000;
    const TARGETS = ["mem", "disk", "hybrid", "suspend-then-hibernate"];
    const FLAG_DRY_RUN = 2;
    const DELAY_MAX_USEC = 86400 * USEC;
    const SVG_NS = "http://www.w3.org/2000/svg";
    const WAKE_SOURCES = { "rtc-alarm": "the RTC alarm", other: "something else" };
    /* what the chart and the table show of a long history: the newest */
    const CHART_MAX = 100;
    const TABLE_MAX = 50;
    /* while a request is pending the timer's firing sends no signal: poll */
    const PENDING_POLL_MS = 2000;

    let client = null;
    let props = null;          /* GetAll() of org.hostpm1.Manager, plain values */
    let caps = null;           /* GetCapabilities(), parsed */
    let lastPoll = 0;

    function $(id) {
        return document.getElementById(id);
    }

    function setText(id, text) {
        $(id).textContent = text;
    }

    function showAlert(id, text) {
        const el = $(id);
        el.textContent = text || "";
        el.hidden = !text;
    }

    /* "1h 30min", "59s 570ms": as hostpm-suspend prints spans */
    function formatDuration(usec) {
        const units = [["d", 86400 * USEC], ["h", 3600 * USEC], ["min", 60 * USEC], ["s", USEC], ["ms", 1000]];
        const parts = [];
        let left = Math.round(usec);

        for (const [name, size] of units) {
            if (left >= size) {
                parts.push(Math.floor(left / size) + name);
                left %= size;
            }
        }
        return parts.length ? parts.join(" ") : "0s";
    }

    function formatTime(usec) {
        if (!usec)
            return "–";
        return new Date(usec / 1000).toLocaleString(undefined, {
            year: "numeric", month: "2-digit", day: "2-digit",
            hour: "2-digit", minute: "2-digit", second: "2-digit", hour12: false,
        });
    }

    /* what a D-Bus error says, in words; a refusal by polkit says who decides */
    function errorText(error) {
        const name = error && error.name ? error.name : "";
        const message = error && error.message ? error.message : String(error);

        if (name === "org.hostpm1.Error.NotAuthorized")
            return "You are not allowed to do this: " + message;
        if (name === "org.freedesktop.DBus.Error.InteractiveAuthorizationRequired")
            return "A password is needed, and no one could be asked for it here: " + message;
        if (name === "org.freedesktop.DBus.Error.ServiceUnknown" || name === "org.freedesktop.DBus.Error.NameHasNoOwner")
            return "hostpmd could not be reached (" + message + "); see: systemctl status hostpmd.service";
        return message;
    }

    /* The bridge marks a call as allowing interactive authorization when
     * its flags hold "i" (and, in Cockpit 287, when there are none): say
     * which, so that only what changes something may ask for a password. */
    function call(method, args, signature, interactive) {
        return client.call(PATH, IFACE, method, args, { type: signature, flags: interactive ? "i" : "" });
    }

    /* Capabilities */

    function parseCapabilities(xml) {
        const doc = new DOMParser().parseFromString(xml, "application/xml");
        const sleep = doc.querySelector("sleep_targets");
        const rtc = doc.querySelector("wake_alarm");
        const result = { status: "failed", error: "", targets: {}, rtc: {} };

        if (doc.querySelector("parsererror") || !sleep || !rtc)
            throw new Error("hostpmd sent a capabilities document this page does not understand");
        result.status = sleep.getAttribute("status");
        if (result.status !== "ok") {
            const error = sleep.querySelector("error");
            result.error = error ? error.textContent : "logind could not be asked";
        }
        for (const t of sleep.querySelectorAll("target")) {
            result.targets[t.getAttribute("name")] = {
                supported: t.getAttribute("supported") === "yes",
                blocked: t.getAttribute("blocked") === "yes",
                logind: t.getAttribute("logind"),
            };
        }
        for (const name of ["device", "present", "driver", "wakealarm", "wakeup", "alarm", "max_seconds"])
            result.rtc[name] = rtc.getAttribute(name);
        return result;
    }

    function wakeAlarmReady(rtc) {
        return rtc.present === "yes" && rtc.wakealarm === "yes" && rtc.wakeup !== "disabled";
    }

    function renderCapabilities() {
        const tbody = $("capabilities-table").querySelector("tbody");

        tbody.replaceChildren();
        showAlert("capabilities-error", caps.status === "ok" ? "" :
            "logind could not be asked what this host supports: " + caps.error);
        for (const name of TARGETS) {
            const t = caps.targets[name];
            const row = tbody.insertRow();

            row.dataset.target = name;
            for (const text of [name, t ? (t.supported ? "yes" : "no") : "unknown",
                t ? t.logind : "–", t ? (t.blocked ? "yes" : "no") : "–"])
                row.insertCell().textContent = text;
        }

        const rtc = caps.rtc;
        setText("rtc-device", rtc.device || "–");
        setText("rtc-driver", rtc.driver || "–");
        let stateText;
        if (rtc.present !== "yes")
            stateText = "not present";
        else if (rtc.wakealarm !== "yes")
            stateText = "no wakealarm attribute: it cannot wake the host";
        else
            stateText = (wakeAlarmReady(rtc) ? "ready" : "not ready") + ", wake source " + rtc.wakeup;
        setText("rtc-state", stateText);
        $("rtc-state").dataset.ready = wakeAlarmReady(rtc) ? "yes" : "no";
        setText("rtc-alarm", rtc.alarm ? formatTime(Number(rtc.alarm) * USEC) : "none");
        setText("rtc-max", rtc.max_seconds ? formatDuration(Number(rtc.max_seconds) * USEC) : "–");
        renderTargets();
    }

    /* Properties: pending request, last outcome, limits */

    function unpack(values) {
        const plain = {};

        for (const name in values)
            plain[name] = values[name].v;
        return plain;
    }

    function renderPending() {
        const pending = props.PendingState !== "";

        $("pending-none").hidden = pending;
        $("pending").hidden = !pending;
        if (!pending)
            return;
        setText("pending-id", props.PendingId);
        setText("pending-state", props.PendingState);
        setText("pending-target", props.PendingTarget);
        setText("pending-suspend", props.PendingSuspendUSec ? formatTime(props.PendingSuspendUSec) : "now");
        setText("pending-wake", props.PendingWakeUSec ? formatTime(props.PendingWakeUSec) : "–");
        setText("pending-requester", "UID " + props.PendingRequesterUID);
        $("cancel-button").disabled = props.PendingState !== "scheduled";
        renderCountdown();
    }

    function renderCountdown() {
        if (!props || props.PendingState === "")
            return;
        const now = Date.now() * 1000;
        let text;

        if (props.PendingState === "scheduled" && props.PendingSuspendUSec > now)
            text = "Suspends in " + formatDuration(Math.ceil((props.PendingSuspendUSec - now) / USEC) * USEC);
        else if (props.PendingState === "scheduled")
            text = "Suspending now";
        else if (props.PendingWakeUSec > now)
            text = "Asleep; wakes in about " + formatDuration(Math.ceil((props.PendingWakeUSec - now) / USEC) * USEC);
        else
            text = "Asleep; due to wake now";
        setText("pending-countdown", text);
    }

    function renderLast() {
        const have = props.LastResult !== "";

        $("last-none").hidden = have;
        $("last").hidden = !have;
        if (!have)
            return;
        setText("last-id", props.LastId + " (" + props.LastTarget + ")");
        setText("last-result", props.LastResult);
        setText("last-asked", formatDuration(props.LastAskedUSec));
        setText("last-slept", props.LastResult === "resumed" ? formatDuration(props.LastSleptUSec) : "–");
        setText("last-woken", props.LastResult !== "resumed" ? "–" :
            props.LastWokenByAlarm ? "the RTC alarm" : "something else, before the alarm");
        setText("last-resumed", formatTime(props.LastResumeUSec));
        setText("last-error", props.LastError || "none");
    }

    function renderLimits() {
        setText("limits", "A sleep lasts from " + formatDuration(props.MinimumDurationUSec) + " to " +
            formatDuration(props.MaximumDurationUSec) + ".");
        setText("default-delay", formatDuration(props.DelayUSec));
        renderTargets();
    }

    /* The target list: every target, with why it cannot be chosen. */
    function targetRefusal(name) {
        if (props && !props.AllowedTargets.includes(name))
            return "Sleep target '" + name + "' is not allowed by AllowedTargets= in hostpm.conf.";
        if (caps && caps.status === "ok" && caps.targets[name] && !caps.targets[name].supported)
            return "This host does not support sleep target '" + name + "' (logind answered '" +
                caps.targets[name].logind + "').";
        return "";
    }

    function renderTargets() {
        const select = $("target");
        const chosen = select.value;

        select.replaceChildren();
        for (const name of TARGETS) {
            const option = document.createElement("option");

            option.value = name;
            option.textContent = name + (targetRefusal(name) ? " (not available)" : "");
            select.appendChild(option);
        }
        select.value = chosen || (targetRefusal("mem") ? TARGETS.find(t => !targetRefusal(t)) || "mem" : "mem");
    }

    /* History */

    function renderHistory(entries, counts, sleptTotal, unreadable) {
        const tbody = $("history-table").querySelector("tbody");

        showAlert("history-warning", unreadable > 0
            ? unreadable + " record(s) of hostpmd's history could not be read (corrupt or cut off) and are left out."
            : "");
        $("history-none").hidden = entries.length > 0;
        $("history-figure").hidden = entries.length === 0;
        $("history-table").hidden = entries.length === 0;
        $("history-chart").replaceChildren(entries.length ? chart(entries.slice(-CHART_MAX)) : "");
        setText("history-shown", entries.length > TABLE_MAX
            ? "The chart shows the newest " + Math.min(CHART_MAX, entries.length) + " and the table the newest " +
              TABLE_MAX + " of the " + entries.length + " requests kept."
            : "");

        tbody.replaceChildren();
        for (const e of entries.slice(-TABLE_MAX).reverse()) {
            const row = tbody.insertRow();

            row.dataset.id = e.id;
            for (const text of [formatTime(e.finished), e.target, e.result, formatDuration(e.asked),
                e.result === "resumed" ? formatDuration(e.slept) : "–", WAKE_SOURCES[e.wake] || e.wake || "–",
                String(e.uid), e.error])
                row.insertCell().textContent = text;
        }

        let total = 0;
        for (const c of counts)
            total += c[2];
        setText("history-totals", total === 0 ? "" :
            total + " request(s) finished since the history began; " + formatDuration(sleptTotal) + " asleep in all.");
    }

    /* One group per request: the time asked, and beside it the time asleep,
     * on one linear scale from 0 to the longest of either. */
    function chart(entries) {
        const height = 220, top = 12, bottom = 12, left = 64, barWidth = 14, gap = 10;
        const width = left + entries.length * (2 * barWidth + gap) + gap;
        const max = Math.max(1, ...entries.map(e => Math.max(e.asked, e.slept)));
        const scale = (height - top - bottom) / max;
        const base = height - bottom;
        const svg = document.createElementNS(SVG_NS, "svg");

        function el(name, attributes, text) {
            const node = document.createElementNS(SVG_NS, name);

            for (const a in attributes)
                node.setAttribute(a, attributes[a]);
            if (text !== undefined)
                node.textContent = text;
            return node;
        }

        svg.setAttribute("width", width);
        svg.setAttribute("height", height);
        svg.setAttribute("viewBox", "0 0 " + width + " " + height);
        svg.setAttribute("role", "img");
        svg.setAttribute("aria-label", "Time asleep against time asked, per request");
        svg.dataset.scale = String(scale);
        svg.dataset.max = String(max);

        svg.appendChild(el("line", { class: "axis", x1: left, y1: base, x2: width, y2: base }));
        svg.appendChild(el("line", { class: "axis", x1: left, y1: top, x2: left, y2: base }));
        svg.appendChild(el("text", { class: "tick", x: left - 4, y: top + 4, "text-anchor": "end" },
            formatDuration(max)));
        svg.appendChild(el("text", { class: "tick", x: left - 4, y: base, "text-anchor": "end" }, "0"));
        svg.appendChild(el("line", { class: "grid", x1: left, y1: top + (base - top) / 2, x2: width,
            y2: top + (base - top) / 2 }));
        svg.appendChild(el("text", { class: "tick", x: left - 4, y: top + (base - top) / 2 + 4, "text-anchor": "end" },
            formatDuration(max / 2)));

        entries.forEach((e, i) => {
            const x = left + gap + i * (2 * barWidth + gap);
            const g = el("g", { class: "cycle", "data-id": e.id, "data-result": e.result });
            const asked = e.asked * scale, slept = e.slept * scale;

            g.appendChild(el("rect", { class: "bar-asked", x, y: base - asked, width: barWidth, height: asked }));
            g.appendChild(el("rect", { class: "bar-slept result-" + e.result, x: x + barWidth, y: base - slept,
                width: barWidth, height: slept }));
            g.appendChild(el("title", {}, e.id + ": " + e.result + ", asked " + formatDuration(e.asked) +
                ", slept " + formatDuration(e.slept) + (e.error ? " – " + e.error : "")));
            svg.appendChild(g);
        });
        return svg;
    }

    /* Reading hostpmd */

    function refreshProperties() {
        lastPoll = Date.now();
        return client.call(PATH, "org.freedesktop.DBus.Properties", "GetAll", [IFACE], { type: "s", flags: "" })
            .then(reply => {
                props = unpack(reply[0]);
                renderPending();
                renderLast();
                renderLimits();
                showAlert("connection-error", "");
            })
            .catch(error => showAlert("connection-error", "Could not read hostpmd's status: " + errorText(error)));
    }

    function refreshCapabilities() {
        return call("GetCapabilities", [], "", false)
            .then(reply => {
                caps = parseCapabilities(reply[0]);
                renderCapabilities();
            })
            .catch(error => showAlert("capabilities-error", "Could not read the capabilities: " + errorText(error)));
    }

    function refreshHistory() {
        return call("GetHistory", [0], "t", false)
            .then(reply => {
                const entries = reply[0].map(e => ({
                    finished: e[0], id: e[1], target: e[2], result: e[3], asked: e[4], slept: e[5],
                    wake: e[6], suspend: e[7], resume: e[8], uid: e[9], error: e[10],
                }));
                renderHistory(entries, reply[1], reply[2], reply[3]);
            })
            .catch(error => showAlert("history-warning", "Could not read the history: " + errorText(error)));
    }

    function refreshAll() {
        return Promise.all([refreshProperties(), refreshCapabilities(), refreshHistory()]);
    }

    function tick() {
        renderCountdown();
        if (props && props.PendingState !== "" && Date.now() - lastPoll >= PENDING_POLL_MS)
            refreshProperties();
    }

    /* Scheduling and cancelling */

    /* The checks hostpmd makes before it asks anyone, with its words, so
     * that what it would refuse is refused here without a call. */
    function checkRequest(request) {
        const limits = "expected " + formatDuration(props.MinimumDurationUSec) + " to " +
            formatDuration(props.MaximumDurationUSec) + " (MinimumDuration= and MaximumDuration= in hostpm.conf).";
        const refusal = targetRefusal(request.target);

        if (refusal)
            return refusal;
        if (caps && caps.rtc && !wakeAlarmReady(caps.rtc))
            return "RTC " + caps.rtc.device + " cannot wake this host (" + $("rtc-state").textContent +
                "); hostpm never suspends a host it cannot wake.";
        if (!Number.isInteger(request.delaySec) || request.delaySec < 0 || request.delaySec * USEC > DELAY_MAX_USEC)
            return "Delay of " + $("delay").value + " s is out of range; expected 1s to 1d, or 0 for the configured " +
                formatDuration(props.DelayUSec) + ".";
        if (request.mode === "duration") {
            if (!(request.durationUsec > 0))
                return "Give the time asleep as a positive number.";
            if (request.durationUsec < props.MinimumDurationUSec || request.durationUsec > props.MaximumDurationUSec)
                return "A sleep of " + formatDuration(request.durationUsec) + " is out of range; " + limits;
            return "";
        }
        if (!(request.wakeUsec > 0))
            return "Give the wake time as a date and a time.";
        const suspendAt = Date.now() * 1000 + (request.delaySec ? request.delaySec * USEC : props.DelayUSec);
        if (request.wakeUsec <= suspendAt)
            return "Wake time " + formatTime(request.wakeUsec) + " is not after the suspend at " + formatTime(suspendAt) +
                "; expected a time at least MinimumDuration= after it.";
        const span = request.wakeUsec - suspendAt;
        if (span < props.MinimumDurationUSec || span > props.MaximumDurationUSec)
            return "Waking at that time means a sleep of " + formatDuration(span) + ", which is out of range; " + limits;
        return "";
    }

    function readForm() {
        const mode = $("mode-until").checked ? "until" : "duration";
        const wake = $("wake-time").value ? new Date($("wake-time").value).getTime() : NaN;

        return {
            mode,
            target: $("target").value,
            durationUsec: Math.round(Number($("duration").value) * Number($("duration-unit").value) * USEC),
            wakeUsec: Number.isNaN(wake) ? 0 : wake * 1000,
            delaySec: $("delay").value === "" ? 0 : Number($("delay").value),
            dryRun: $("dry-run").checked,
        };
    }

    function schedule(event) {
        event.preventDefault();
        showAlert("schedule-error", "");
        showAlert("schedule-result", "");
        if (!props) {
            showAlert("schedule-error", "hostpmd's limits are not known yet; try again in a moment.");
            return;
        }
        const request = readForm();
        const refusal = checkRequest(request);
        if (refusal) {
            showAlert("schedule-error", refusal);
            $("schedule-error").dataset.source = "page";
            return;
        }

        const flags = request.dryRun ? FLAG_DRY_RUN : 0;
        const method = request.mode === "duration" ? "ScheduleSuspend" : "ScheduleSuspendUntil";
        const when = request.mode === "duration" ? request.durationUsec : request.wakeUsec;

        $("schedule-button").disabled = true;
        call(method, [request.target, when, request.delaySec * USEC, flags], "sttt", true)
            .then(reply => {
                showAlert("schedule-result", request.dryRun
                    ? "Dry run: hostpmd would suspend to " + request.target + " at " + formatTime(reply[1]) +
                      " and wake at " + formatTime(reply[2]) + "."
                    : "Scheduled request " + reply[0] + ": suspend to " + request.target + " at " +
                      formatTime(reply[1]) + ", wake at " + formatTime(reply[2]) + ".");
                return refreshProperties();
            })
            .catch(error => {
                showAlert("schedule-error", errorText(error));
                $("schedule-error").dataset.source = "hostpmd";
                $("schedule-error").dataset.name = error && error.name ? error.name : "";
            })
            .finally(() => {
                $("schedule-button").disabled = false;
            });
    }

    function cancel() {
        showAlert("cancel-error", "");
        $("cancel-button").disabled = true;
        call("CancelSuspend", [], "", true)
            .then(() => refreshProperties())
            .catch(error => {
                showAlert("cancel-error", errorText(error));
                $("cancel-error").dataset.name = error && error.name ? error.name : "";
                $("cancel-button").disabled = false;
            });
    }

    function modeChanged() {
        const until = $("mode-until").checked;

        $("duration").disabled = until;
        $("duration-unit").disabled = until;
        $("wake-time").disabled = !until;
    }

    function init() {
        client = cockpit.dbus(BUS_NAME, { bus: "system" });
        client.addEventListener("close", (event, options) =>
            showAlert("connection-error", "Lost the connection to the system bus: " +
                (options && options.problem ? cockpit.message(options) : "closed")));

        /* hostpmd's own signals, and the invalidation that comes with them */
        client.subscribe({ path: PATH, interface: IFACE }, () => refreshAll());
        client.subscribe({ path: PATH, interface: "org.freedesktop.DBus.Properties", member: "PropertiesChanged" },
            () => refreshProperties());

        $("schedule-form").addEventListener("submit", schedule);
        $("cancel-button").addEventListener("click", cancel);
        $("mode-duration").addEventListener("change", modeChanged);
        $("mode-until").addEventListener("change", modeChanged);
        window.setInterval(tick, 1000);

        refreshAll().finally(() => {
            $("page").setAttribute("aria-busy", "false");
        });
    }

    document.addEventListener("DOMContentLoaded", init);
}());
