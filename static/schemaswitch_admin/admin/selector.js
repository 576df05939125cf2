/*
 * The schema selector of the admin's brand bar.
 *
 * Without this script the form works as is: choose, then press "Switch". With it, choosing
 * with the mouse switches at once; choosing with the keyboard shows the button (or press
 * Enter), so arrowing through the list does not switch at every step. Over a threshold of
 * schemas the server renders a filter box, shown here: typing narrows the list (or says that
 * nothing matches), Enter takes the first match, ArrowDown moves onto it. When the user may
 * use more schemas than the selector lists, its "All schemas…" link to the chooser carries
 * what was typed (the chooser searches every schema), and Enter with nothing matching here
 * follows it. A file, not an inline script, so a strict Content-Security-Policy
 * ("script-src 'self'") allows it.
 */
"use strict";
{
    const NAVIGATION_KEYS = new Set(["ArrowUp", "ArrowDown", "Home", "End", "PageUp", "PageDown"]);
    const MAX_LISTBOX_ROWS = 8;

    function submit(form) {
        if (typeof form.requestSubmit === "function") {
            form.requestSubmit();
        } else {
            form.submit();
        }
    }

    function initFilter(form, select, filter, initial) {
        const options = Array.from(select.options).filter((option) => option.value !== "");
        const prompt = Array.from(select.options).find((option) => option.value === "");
        const visibleOptions = () => options.filter((option) => !option.hidden);
        const message = form.querySelector(".schemaswitch-no-match");
        const more = form.querySelector("a.schemaswitch-more");
        const moreUrl = more ? new URL(more.href, document.baseURI) : null;

        // The chooser link searches every schema for what was typed.
        function updateMore(needle) {
            if (!more) {
                return;
            }
            const url = new URL(moreUrl.href);
            if (needle !== "") {
                url.searchParams.set("q", needle);
            }
            more.href = url.pathname + url.search;
        }

        function apply() {
            const needle = filter.value.trim().toLowerCase();
            for (const option of options) {
                const haystack = (option.text + " " + option.value).toLowerCase();
                option.hidden = needle !== "" && !haystack.includes(needle);
            }
            if (prompt) {
                prompt.hidden = needle !== "";
            }
            const shown = visibleOptions();
            if (needle === "") {
                select.removeAttribute("size");
                form.classList.remove("schemaswitch-filtering");
            } else {
                select.size = Math.max(2, Math.min(shown.length, MAX_LISTBOX_ROWS));
                form.classList.add("schemaswitch-filtering");
            }
            // Nothing to show: say so, instead of an empty list box.
            const noMatch = needle !== "" && shown.length === 0;
            form.classList.toggle("schemaswitch-nothing-matches", noMatch);
            if (message) {
                message.hidden = !noMatch;
            }
            filter.setAttribute("aria-invalid", noMatch ? "true" : "false");
            updateMore(needle);
        }

        // From the box, one ArrowDown lands on the first match (focusing the list alone would
        // leave the hidden, previously selected option current and cost a second press).
        function enterList() {
            const first = visibleOptions()[0];
            if (!first) {
                return;
            }
            select.value = first.value;
            form.classList.toggle("schemaswitch-dirty", first.value !== initial);
            select.focus();
        }

        filter.hidden = false;
        filter.addEventListener("input", apply);
        filter.addEventListener("keydown", (event) => {
            if (event.key === "Enter") {
                event.preventDefault();
                const first = visibleOptions()[0];
                if (first && first.value !== initial) {
                    select.value = first.value;
                    submit(form);
                } else if (!first && more && filter.value.trim() !== "") {
                    window.location.assign(more.href);
                }
            } else if (event.key === "ArrowDown" && filter.value !== "") {
                event.preventDefault();
                enterList();
            } else if (event.key === "Escape") {
                filter.value = "";
                apply();
            }
        });
    }

    function init(form) {
        const select = form.querySelector("select[name=schema]");
        if (!select || form.classList.contains("schemaswitch-enhanced")) {
            return;
        }
        const initial = select.value;
        let byKeyboard = false;
        form.classList.add("schemaswitch-enhanced");

        select.addEventListener("keydown", (event) => {
            if (event.key === "Enter") {
                event.preventDefault();
                if (select.value !== initial) {
                    submit(form);
                }
                return;
            }
            byKeyboard = NAVIGATION_KEYS.has(event.key) || event.key.length === 1;
        });
        select.addEventListener("mousedown", () => {
            byKeyboard = false;
        });
        select.addEventListener("change", () => {
            const changed = select.value !== initial;
            form.classList.toggle("schemaswitch-dirty", changed);
            if (changed && !byKeyboard) {
                submit(form);
            }
            byKeyboard = false;
        });

        const filter = form.querySelector(".schemaswitch-filter");
        if (filter) {
            initFilter(form, select, filter, initial);
        }
    }

    function initAll() {
        document.querySelectorAll("form.schemaswitch-selector").forEach(init);
    }

    if (document.readyState === "loading") {
        document.addEventListener("DOMContentLoaded", initAll);
    } else {
        initAll();
    }
}
