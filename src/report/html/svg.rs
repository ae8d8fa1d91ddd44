//! Inlining the SVG charts that [`crate::report::plot`] draws with plotters.
//!
//! A report re-rendered by `pacsim report DIR` reads `plots/*.svg` from disk, where
//! anything may have been edited, so a file is inlined only if it is exactly the kind of
//! SVG plotters writes: the elements and attributes below, attribute values without
//! `url(…)` or script, text only inside `<text>`, every element closed (a truncated file
//! fails here). Anything else is refused with the reason, never copied into the page.
//! The page's Content-Security-Policy would block a script or a fetch anyway; this check
//! is what keeps a broken plot from silently breaking the page.

use super::escape::escape;

/// The elements plotters' SVG backend writes (`plotters-svg`'s `SVGTag`).
const ELEMENTS: [&str; 7] = [
    "svg", "rect", "line", "polyline", "polygon", "circle", "text",
];
const ATTRIBUTES: [&str; 24] = [
    "width",
    "height",
    "viewBox",
    "xmlns",
    "x",
    "y",
    "x1",
    "y1",
    "x2",
    "y2",
    "cx",
    "cy",
    "r",
    "points",
    "dy",
    "text-anchor",
    "font-family",
    "font-size",
    "font-weight",
    "font-style",
    "opacity",
    "fill",
    "stroke",
    "stroke-width",
];
/// Allowed only as written by plotters.
const EXTRA_ATTRIBUTES: [&str; 1] = ["transform"];
const SVG_NS: &str = "http://www.w3.org/2000/svg";
/// Entities plotters' escaping produces.
const ENTITIES: [&str; 5] = ["&lt;", "&gt;", "&amp;", "&quot;", "&apos;"];

/// A checked SVG chart, ready to be placed in a page (the only markup a page takes from a
/// file).
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct InlineSvg(String);

impl InlineSvg {
    pub fn as_str(&self) -> &str {
        &self.0
    }
}

/// An SVG ready to be placed in a page: the root element rewritten without its
/// namespace URL (HTML puts inline `<svg>` in the SVG namespace by itself, and the page
/// then holds no URL at all) and with an accessible label; attributes that only restate
/// SVG's defaults (`opacity="1"`, `stroke="none"`) are left out, which makes a heatmap of
/// 24,000 cells a third smaller.
pub fn inline(svg: &str, label: &str) -> Result<InlineSvg, String> {
    let mut out = String::with_capacity(svg.len());
    check(svg, label, &mut out)?;
    Ok(InlineSvg(out))
}

/// Attributes equal to SVG's initial values (SVG 1.1 §14.5, §11.3), dropped when inlining.
fn is_default(key: &str, value: &str) -> bool {
    matches!((key, value), ("opacity", "1") | ("stroke", "none"))
}

/// Checks that `svg` is one well-formed SVG document in plotters' vocabulary, and writes
/// it to `out` as it goes.
fn check(svg: &str, label: &str, out: &mut String) -> Result<(), String> {
    let b = svg.as_bytes();
    let mut i = skip_ws(b, 0);
    let mut stack: Vec<&str> = Vec::new();
    let mut root = false;
    let mut closed = false;
    while i < b.len() {
        if b[i] != b'<' {
            let end = svg[i..].find('<').map_or(b.len(), |e| i + e);
            let text = &svg[i..end];
            if !text.trim().is_empty() {
                if closed {
                    return Err("text after the closing </svg>".into());
                }
                if stack.last() != Some(&"text") {
                    return Err(format!("text outside a <text> element: {:?}", clip(text)));
                }
                check_text(text)?;
            }
            if !closed {
                out.push_str(text);
            }
            i = end;
            continue;
        }
        if closed {
            return Err("content after the closing </svg>".into());
        }
        if b.get(i + 1) == Some(&b'/') {
            let end = svg[i..]
                .find('>')
                .map(|e| i + e)
                .ok_or("ends inside a closing tag (truncated?)")?;
            let name = svg[i + 2..end].trim();
            match stack.pop() {
                Some(open) if open == name => {}
                Some(open) => return Err(format!("</{name}> closes <{open}>")),
                None => return Err(format!("</{name}> closes nothing")),
            }
            closed = stack.is_empty();
            out.push_str("</");
            out.push_str(name);
            out.push('>');
            if closed {
                out.push('\n');
            }
            i = end + 1;
            continue;
        }
        // An opening tag.
        let start = i + 1;
        let mut j = start;
        while j < b.len() && b[j].is_ascii_alphanumeric() {
            j += 1;
        }
        let name = &svg[start..j];
        if !ELEMENTS.contains(&name) {
            return Err(format!(
                "element <{}> is not one that pacsim's plots contain",
                clip(&svg[start..(start + 20).min(b.len())])
                    .split(|c: char| c.is_whitespace() || c == '>')
                    .next()
                    .unwrap_or("")
            ));
        }
        if (name == "svg") == root {
            return Err(if name == "svg" {
                "an <svg> inside the plot".into()
            } else {
                format!("<{name}> before the <svg> element")
            });
        }
        out.push('<');
        out.push_str(name);
        let self_closing;
        loop {
            j = skip_ws(b, j);
            match b.get(j) {
                None => return Err(format!("ends inside a <{name}> tag (truncated?)")),
                Some(b'/') if b.get(j + 1) == Some(&b'>') => {
                    self_closing = true;
                    j += 2;
                    break;
                }
                Some(b'>') => {
                    self_closing = false;
                    j += 1;
                    break;
                }
                _ => {}
            }
            let k0 = j;
            while j < b.len() && (b[j].is_ascii_alphanumeric() || b[j] == b'-') {
                j += 1;
            }
            let key = &svg[k0..j];
            if key.is_empty() || b.get(j) != Some(&b'=') || b.get(j + 1) != Some(&b'"') {
                return Err(format!("a malformed attribute in <{name}>"));
            }
            let v0 = j + 2;
            let v1 = svg[v0..]
                .find('"')
                .map(|e| v0 + e)
                .ok_or_else(|| format!("ends inside a <{name}> attribute (truncated?)"))?;
            let value = &svg[v0..v1];
            check_attribute(name, key, value)?;
            if !(key == "xmlns" || is_default(key, value)) {
                out.push(' ');
                out.push_str(key);
                out.push_str("=\"");
                out.push_str(value);
                out.push('"');
            }
            j = v1 + 1;
        }
        if name == "svg" {
            if self_closing {
                return Err("an empty <svg/>".into());
            }
            root = true;
            out.push_str(" role=\"img\" aria-label=\"");
            out.push_str(&escape(label));
            out.push('"');
        }
        out.push_str(if self_closing { "/>" } else { ">" });
        if !self_closing {
            stack.push(name);
        }
        i = j;
    }
    if !stack.is_empty() {
        return Err(format!(
            "ends with <{}> still open (truncated?)",
            stack.last().copied().unwrap_or("svg")
        ));
    }
    if root && closed {
        Ok(())
    } else {
        Err("holds no <svg> element".into())
    }
}

fn check_attribute(element: &str, key: &str, value: &str) -> Result<(), String> {
    let allowed = ATTRIBUTES.contains(&key) || EXTRA_ATTRIBUTES.contains(&key);
    if !allowed {
        return Err(format!(
            "attribute `{key}` of <{element}> is not one pacsim writes"
        ));
    }
    let ok = match key {
        "xmlns" => element == "svg" && value == SVG_NS,
        "transform" => value.starts_with("rotate(") && plain(value),
        _ => plain(value),
    };
    if ok {
        Ok(())
    } else {
        Err(format!(
            "attribute `{key}` of <{element}> has an unexpected value {:?}",
            clip(value)
        ))
    }
}

/// Numbers, colours, names and lists: letters, digits, space and `#.,-%()`, never a
/// `url(` or a scheme.
fn plain(v: &str) -> bool {
    let lower = v.to_ascii_lowercase();
    v.bytes()
        .all(|c| c.is_ascii_alphanumeric() || b" #.,-%()".contains(&c))
        && !lower.contains("url")
        && !lower.contains("script")
}

fn check_text(text: &str) -> Result<(), String> {
    if text.contains('>') {
        return Err(format!("an unescaped `>` in text {:?}", clip(text)));
    }
    let mut rest = text;
    while let Some(p) = rest.find('&') {
        let tail = &rest[p..];
        let Some(e) = ENTITIES.iter().find(|e| tail.starts_with(**e)) else {
            return Err(format!("an unknown entity in text {:?}", clip(tail)));
        };
        rest = &tail[e.len()..];
    }
    Ok(())
}

fn skip_ws(b: &[u8], mut i: usize) -> usize {
    while i < b.len() && b[i].is_ascii_whitespace() {
        i += 1;
    }
    i
}

/// At most 40 characters of `s`, for an error message.
fn clip(s: &str) -> String {
    s.chars().take(40).collect()
}

#[cfg(test)]
mod tests {
    use super::*;

    const OK: &str = "<svg width=\"10\" height=\"5\" viewBox=\"0 0 10 5\" xmlns=\"http://www.w3.org/2000/svg\">\n<rect x=\"0\" y=\"0\" width=\"10\" height=\"5\" opacity=\"1\" fill=\"#FFFFFF\" stroke=\"none\"/>\n<text x=\"1\" y=\"2\" dy=\"0.76em\" font-family=\"sans-serif\" transform=\"rotate(270, 1, 2)\">\n&lt;b&gt; &amp; x\n</text>\n</svg>\n";

    #[test]
    fn a_plotters_svg_is_inlined_without_its_namespace_url() {
        let s = inline(OK, "a <chart>").unwrap().0;
        assert!(s.starts_with(
            "<svg width=\"10\" height=\"5\" viewBox=\"0 0 10 5\" role=\"img\" aria-label=\"a &lt;chart&gt;\">"
        ));
        assert!(!s.contains("http"));
        assert!(
            s.contains("<rect x=\"0\" y=\"0\" width=\"10\" height=\"5\" fill=\"#FFFFFF\"/>"),
            "{s}"
        );
        assert!(!s.contains("opacity=\"1\"") && !s.contains("stroke=\"none\""));
        assert!(s.trim_end().ends_with("</svg>"));
    }

    #[test]
    fn a_truncated_svg_is_refused() {
        let cut = &OK[..OK.len() - 10];
        let e = inline(cut, "x").unwrap_err();
        assert!(e.contains("truncated"), "{e}");
        let e = inline(&OK[..60], "x").unwrap_err();
        assert!(e.contains("truncated"), "{e}");
    }

    #[test]
    fn scripts_handlers_links_and_foreign_content_are_refused() {
        for (bad, why) in [
            ("<script>alert(1)</script>", "element <script>"),
            ("<rect onload=\"alert(1)\"/>", "attribute `onload`"),
            ("<rect fill=\"url(#p)\"/>", "unexpected value"),
            ("<image href=\"http://x/y.png\"/>", "element <image"),
            ("<foreignObject></foreignObject>", "element <foreignObject"),
            ("<text>a<b</text>", "element <b"),
            ("<text>&#x3c;</text>", "unknown entity"),
        ] {
            let svg = OK.replace("</svg>", &format!("{bad}</svg>"));
            let e = inline(&svg, "x").unwrap_err();
            assert!(e.contains(why), "{bad}: {e}");
        }
    }

    #[test]
    fn not_an_svg_is_refused() {
        assert!(inline("", "x").is_err());
        assert!(inline("hello", "x").is_err());
        assert!(inline("<rect/>", "x").is_err());
        assert!(inline(&format!("{OK}<svg></svg>"), "x").is_err());
    }

    #[test]
    fn every_chart_pacsim_draws_passes_the_check() {
        use crate::report::plot;
        let scenario = crate::scenario::load_str(
            "t.yaml",
            "name: t\nduration: 2h\nclusters: [{name: c, hosts: [{name: h, count: 3, cores: 8, mhz: 2000, memory: 64GiB}], drs: {}}]\nimages: [{name: i, size: 10MB}]\nworkloads:\n  - {kind: vm-group, name: v, arrival: {at_start: 6}, size: {vcpus: 2, memory: 4GiB}, demand: {constant: 0.5}}\n  - {kind: pod-group, name: p, image: i, arrival: {poisson: {rate: 30/h}}, requests: {cpu: 1, memory: 1GiB}}\n",
            &[],
        )
        .unwrap();
        let mut world = crate::model::build(&scenario, 0);
        let mut rec = crate::metrics::Recorder::new(&world);
        crate::model::run(&mut world, &mut rec, &mut |_| {});
        let charts = plot::all(&rec).unwrap();
        assert!(charts.len() >= 4);
        for (name, _, svg) in charts {
            inline(&svg, name).unwrap_or_else(|e| panic!("{name}: {e}"));
        }
    }
}
