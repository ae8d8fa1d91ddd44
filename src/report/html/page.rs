//! The page shell: one self-contained HTML file with its CSS and its one small script
//! inline, a Content-Security-Policy that forbids every fetch, a table of contents, and
//! sections made of blocks. Pages are pure functions of their content: the same content
//! gives the same bytes.
//!
//! Nothing here loads from elsewhere: no fonts, no images, no scripts, no styles by URL.
//! The policy `default-src 'none'` makes the browser refuse any request the page might
//! still make, and the style and script are allowed by their SHA-256 hashes only, so an
//! injected `<script>` would not run even if escaping failed.

use super::escape::{escape, escape_into, slug};
use super::svg::InlineSvg;
use super::table::{Cell, Column, Row, Table};
use sha2::{Digest, Sha256};
use std::fmt::Write as _;

/// The whole style sheet: readable on screen and on paper.
pub const STYLE: &str = "\
:root{--fg:#1b1f24;--muted:#59636e;--line:#d0d7de;--bg2:#f6f8fa;--bad:#b42318;--good:#1a7f37;--warn:#9a6700}
*{box-sizing:border-box}
body{margin:0 auto;max-width:1100px;padding:1.5rem;font:15px/1.5 system-ui,-apple-system,'Segoe UI',Roboto,'DejaVu Sans',sans-serif;color:var(--fg);background:#fff}
h1{font-size:1.7rem;margin:0 0 .3rem;overflow-wrap:anywhere}
h2{font-size:1.3rem;margin:2rem 0 .6rem;padding-bottom:.2rem;border-bottom:1px solid var(--line)}
p{margin:.4rem 0}
.sub,.note,figcaption,.meaning{color:var(--muted)}
.note{font-size:.9rem}
dl.identity{display:grid;grid-template-columns:max-content 1fr;gap:.1rem 1rem;margin:.8rem 0}
dl.identity dt{color:var(--muted)}
dl.identity dd{margin:0;font-family:ui-monospace,'DejaVu Sans Mono',monospace;overflow-wrap:anywhere}
nav ul{display:flex;flex-wrap:wrap;gap:.2rem 1rem;list-style:none;padding:0;margin:.6rem 0}
a{color:#0550ae}
.scroll{overflow-x:auto}
table{border-collapse:collapse;margin:.6rem 0;font-size:.92rem;font-variant-numeric:tabular-nums}
caption{text-align:left;font-weight:600;padding:.2rem 0}
th,td{border-bottom:1px solid var(--line);padding:.25rem .6rem;text-align:left;vertical-align:top}
th{background:var(--bg2);font-weight:600}
td.num,th.num{text-align:right;white-space:nowrap}
th button{font:inherit;border:0;background:none;padding:0;cursor:pointer;color:inherit}
th[aria-sort=ascending] button::after{content:' \\25B2'}
th[aria-sort=descending] button::after{content:' \\25BC'}
tr.bad td,td.bad{color:var(--bad);font-weight:600}
tr.good td,td.good{color:var(--good)}
tr.warn td,td.warn{color:var(--warn)}
.answer{font-size:1.25rem;border-left:4px solid var(--good);background:var(--bg2);padding:.6rem 1rem;margin:1rem 0}
.answer.bad{border-left-color:var(--bad)}
figure{margin:1rem 0;break-inside:avoid}
figure svg{display:block;width:100%;max-width:1000px;height:auto;border:1px solid var(--line)}
footer{margin-top:2.5rem;color:var(--muted);font-size:.85rem}
@media print{body{max-width:none;padding:0;font-size:11pt}nav,th button::after{display:none}th button{cursor:auto}
h2{break-after:avoid}figure,tr{break-inside:avoid}figure svg{max-width:17cm}
a{color:inherit;text-decoration:none}}
";

/// Sorts a table by the clicked column, numerically when the column holds numbers
/// (`data-sort` carries each cell's exact value), and marks `<html data-sort-ready>`
/// once it has run, which the browser check reads as proof that the policy let it run.
pub const SORT_SCRIPT: &str = "\
document.querySelectorAll('table.sortable').forEach(function(t){
var hs=t.tHead.rows[0].cells;
Array.prototype.forEach.call(hs,function(th,i){
th.querySelector('button').addEventListener('click',function(){
var asc=th.getAttribute('aria-sort')!=='ascending',num=th.dataset.type==='num',tb=t.tBodies[0];
Array.prototype.forEach.call(hs,function(h){h.setAttribute('aria-sort','none')});
th.setAttribute('aria-sort',asc?'ascending':'descending');
function k(r){var c=r.cells[i];if(!c)return num?-Infinity:'';var v=c.dataset.sort!==undefined?c.dataset.sort:c.textContent;if(!num)return v;v=parseFloat(v);return isNaN(v)?-Infinity:v}
var rows=Array.prototype.slice.call(tb.rows);
rows.sort(function(a,b){var x=k(a),y=k(b),d=num?(x<y?-1:x>y?1:0):x.localeCompare(y);return asc?d:-d});
rows.forEach(function(r){tb.appendChild(r)});
});});});
document.documentElement.setAttribute('data-sort-ready','');
";

/// A file in the output folder, linked by a relative path.
#[derive(Clone, Debug)]
pub struct Link {
    pub href: String,
    pub text: String,
    pub note: String,
}

impl Link {
    /// A link to `path`, relative to the page. Absolute paths and URLs are refused: a
    /// page links only to files beside it.
    pub fn file(path: &str, note: &str) -> Self {
        debug_assert!(is_relative_file(path), "not a relative file path: {path}");
        Link {
            href: path.into(),
            text: path.into(),
            note: note.into(),
        }
    }
}

/// A relative path without a scheme, a leading slash or `..`.
fn is_relative_file(p: &str) -> bool {
    !p.is_empty()
        && !p.starts_with('/')
        && !p.contains(':')
        && !p.contains('\\')
        && !p.split('/').any(|c| c == "..")
}

/// A chart with its caption and links to its files.
#[derive(Clone, Debug)]
pub struct Figure {
    pub id: String,
    pub svg: InlineSvg,
    pub caption: String,
    pub links: Vec<Link>,
}

/// One line of a "what it is, how much, what it means" list.
#[derive(Clone, Debug)]
pub struct Fact {
    /// The metric's key in `summary.json`, if it is one.
    pub key: Option<String>,
    pub label: String,
    pub value: String,
    /// The exact value, for sorting and for tests.
    pub raw: Option<f64>,
    pub meaning: String,
}

/// What a section is made of. Text is always escaped; the only markup taken from outside
/// is an [`InlineSvg`], which has been checked.
#[derive(Clone, Debug)]
pub enum Block {
    Text(String),
    Note(String),
    /// The headline answer of a page (a capacity plan, a comparison's verdict).
    Answer {
        text: String,
        good: bool,
    },
    Facts(Vec<Fact>),
    Table(Table),
    Figure(Figure),
    Links(Vec<Link>),
}

#[derive(Clone, Debug)]
pub struct Section {
    pub id: String,
    pub title: String,
    pub blocks: Vec<Block>,
}

impl Section {
    pub fn new(id: &str, title: &str) -> Self {
        Section {
            id: id.into(),
            title: title.into(),
            blocks: Vec::new(),
        }
    }
    pub fn push(&mut self, b: Block) -> &mut Self {
        self.blocks.push(b);
        self
    }
    pub fn text(&mut self, s: impl Into<String>) -> &mut Self {
        self.push(Block::Text(s.into()))
    }
    pub fn note(&mut self, s: impl Into<String>) -> &mut Self {
        self.push(Block::Note(s.into()))
    }
}

#[derive(Clone, Debug, Default)]
pub struct Page {
    pub title: String,
    pub subtitle: String,
    /// Label and value pairs under the title (a run's identity).
    pub identity: Vec<(String, String)>,
    pub sections: Vec<Section>,
    pub footer: String,
}

/// `'sha256-…'` of `s`, the form a Content-Security-Policy names an inline block by.
pub fn csp_hash(s: &str) -> String {
    format!("'sha256-{}'", base64(&Sha256::digest(s.as_bytes())))
}

/// Standard base64 with padding (RFC 4648 §4).
fn base64(bytes: &[u8]) -> String {
    const A: &[u8; 64] = b"ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789+/";
    let mut out = String::with_capacity(bytes.len().div_ceil(3) * 4);
    for chunk in bytes.chunks(3) {
        let n = chunk
            .iter()
            .enumerate()
            .fold(0u32, |n, (i, &b)| n | ((b as u32) << (16 - 8 * i)));
        for i in 0..4 {
            if i <= chunk.len() {
                out.push(A[((n >> (18 - 6 * i)) & 63) as usize] as char);
            } else {
                out.push('=');
            }
        }
    }
    out
}

impl Page {
    fn needs_script(&self) -> bool {
        self.sections.iter().any(|s| {
            s.blocks
                .iter()
                .any(|b| matches!(b, Block::Table(t) if t.sortable))
        })
    }

    /// The policy: nothing may be fetched, only this page's own style and script run.
    pub fn content_security_policy(&self) -> String {
        let script = if self.needs_script() {
            csp_hash(SORT_SCRIPT)
        } else {
            "'none'".into()
        };
        format!(
            "default-src 'none'; style-src {}; script-src {script}; img-src 'none'; font-src 'none'; connect-src 'none'; base-uri 'none'; form-action 'none'",
            csp_hash(STYLE)
        )
    }

    pub fn render(&self) -> String {
        let mut out = String::with_capacity(64 * 1024);
        out.push_str("<!DOCTYPE html>\n<html lang=\"en\">\n<head>\n<meta charset=\"utf-8\">\n");
        let _ = writeln!(
            out,
            "<meta http-equiv=\"Content-Security-Policy\" content=\"{}\">",
            escape(&self.content_security_policy())
        );
        out.push_str("<meta name=\"viewport\" content=\"width=device-width, initial-scale=1\">\n");
        out.push_str("<meta name=\"referrer\" content=\"no-referrer\">\n");
        let _ = writeln!(out, "<title>{}</title>", escape(&self.title));
        let _ = writeln!(out, "<style>{STYLE}</style>\n</head>\n<body>\n<header>");
        let _ = writeln!(out, "<h1>{}</h1>", escape(&self.title));
        if !self.subtitle.is_empty() {
            let _ = writeln!(out, "<p class=\"sub\">{}</p>", escape(&self.subtitle));
        }
        if !self.identity.is_empty() {
            out.push_str("<dl class=\"identity\">\n");
            for (k, v) in &self.identity {
                let _ = writeln!(out, "<dt>{}</dt><dd>{}</dd>", escape(k), escape(v));
            }
            out.push_str("</dl>\n");
        }
        out.push_str("</header>\n");
        if self.sections.len() > 1 {
            out.push_str("<nav><ul>\n");
            for s in &self.sections {
                let _ = writeln!(
                    out,
                    "<li><a href=\"#{}\">{}</a></li>",
                    slug(&s.id),
                    escape(&s.title)
                );
            }
            out.push_str("</ul></nav>\n");
        }
        out.push_str("<main>\n");
        for s in &self.sections {
            let _ = writeln!(
                out,
                "<section id=\"{}\">\n<h2>{}</h2>",
                slug(&s.id),
                escape(&s.title)
            );
            for b in &s.blocks {
                render_block(&mut out, b);
            }
            out.push_str("</section>\n");
        }
        out.push_str("</main>\n");
        if !self.footer.is_empty() {
            let _ = writeln!(out, "<footer>{}</footer>", escape(&self.footer));
        }
        if self.needs_script() {
            let _ = writeln!(out, "<script>{SORT_SCRIPT}</script>");
        }
        out.push_str("</body>\n</html>\n");
        out
    }
}

fn render_block(out: &mut String, b: &Block) {
    match b {
        Block::Text(t) => {
            let _ = writeln!(out, "<p>{}</p>", escape(t));
        }
        Block::Note(t) => {
            let _ = writeln!(out, "<p class=\"note\">{}</p>", escape(t));
        }
        Block::Answer { text, good } => {
            let _ = writeln!(
                out,
                "<p class=\"answer{}\">{}</p>",
                if *good { "" } else { " bad" },
                escape(text)
            );
        }
        Block::Facts(facts) => facts_table(facts).render(out),
        Block::Table(t) => t.render(out),
        Block::Figure(f) => {
            let _ = writeln!(out, "<figure id=\"{}\">", slug(&f.id));
            out.push_str(f.svg.as_str());
            out.push_str("<figcaption>");
            escape_into(out, &f.caption);
            for (i, l) in f.links.iter().enumerate() {
                out.push_str(if i == 0 { " — " } else { " · " });
                link(out, l);
            }
            out.push_str("</figcaption>\n</figure>\n");
        }
        Block::Links(links) => {
            out.push_str("<ul class=\"files\">\n");
            for l in links {
                out.push_str("<li>");
                link(out, l);
                if !l.note.is_empty() {
                    out.push_str(" <span class=\"meaning\">");
                    escape_into(out, &l.note);
                    out.push_str("</span>");
                }
                out.push_str("</li>\n");
            }
            out.push_str("</ul>\n");
        }
    }
}

fn link(out: &mut String, l: &Link) {
    if is_relative_file(&l.href) {
        let _ = write!(
            out,
            "<a href=\"{}\">{}</a>",
            escape(&l.href),
            escape(&l.text)
        );
    } else {
        // Not a file beside the page: shown, never linked.
        escape_into(out, &l.text);
    }
}

/// Facts as a three-column table; each row carries its metric key.
fn facts_table(facts: &[Fact]) -> Table {
    let mut t = Table::new(vec![
        Column::text("result"),
        Column::number("value"),
        Column::text("what it means"),
    ]);
    for f in facts {
        let cells = vec![
            Cell::text(f.label.clone()),
            Cell {
                text: f.value.clone(),
                sort: f.raw,
                mark: None,
            },
            Cell::text(f.meaning.clone()),
        ];
        t.push(match &f.key {
            Some(k) => Row::keyed(k, cells),
            None => Row::new(cells),
        });
    }
    t
}

#[cfg(test)]
mod tests {
    use super::*;

    fn page() -> Page {
        let mut s = Section::new("one", "One <section>");
        s.text("a <b>bold</b> claim");
        s.push(Block::Links(vec![
            Link::file("summary.json", "the metrics"),
            Link {
                href: "https://example.org/x".into(),
                text: "elsewhere".into(),
                note: String::new(),
            },
        ]));
        Page {
            title: "<script>alert(1)</script>".into(),
            subtitle: "sub".into(),
            identity: vec![("seed".into(), "42".into())],
            sections: vec![s],
            footer: "made by pacsim".into(),
        }
    }

    #[test]
    fn the_title_and_every_text_are_escaped() {
        let html = page().render();
        assert!(html.contains("<title>&lt;script&gt;alert(1)&lt;/script&gt;</title>"));
        assert!(html.contains("<h1>&lt;script&gt;alert(1)&lt;/script&gt;</h1>"));
        assert!(html.contains("<h2>One &lt;section&gt;</h2>"));
        assert!(html.contains("<p>a &lt;b&gt;bold&lt;/b&gt; claim</p>"));
        assert!(!html.contains("<script>"), "no sortable table, no script");
    }

    #[test]
    fn the_page_forbids_every_fetch_and_links_only_to_files_beside_it() {
        let p = page();
        let html = p.render();
        let csp = p.content_security_policy();
        assert!(csp.starts_with("default-src 'none';"));
        assert!(csp.contains("script-src 'none'"));
        let head = &html[..html.find("<title>").unwrap()];
        assert!(head.contains("http-equiv=\"Content-Security-Policy\""));
        assert!(html.contains("<a href=\"summary.json\">summary.json</a>"));
        assert!(
            !html.contains("href=\"https:"),
            "a URL is shown, never linked"
        );
        assert!(html.contains("elsewhere"));
    }

    #[test]
    fn a_sortable_table_brings_its_script_allowed_by_hash() {
        let mut p = page();
        let mut t = Table::new(vec![Column::number("n")]).sortable();
        t.push(Row::new(vec![Cell::number("1", 1.0)]));
        p.sections[0].push(Block::Table(t));
        let html = p.render();
        assert!(html.contains(&format!("<script>{SORT_SCRIPT}</script>")));
        assert!(p
            .content_security_policy()
            .contains(&format!("script-src {}", csp_hash(SORT_SCRIPT))));
    }

    #[test]
    fn base64_and_sha256_match_known_vectors() {
        // FIPS 180-2 "abc", and RFC 4648's base64 test vectors.
        assert_eq!(
            csp_hash("abc"),
            "'sha256-ungWv48Bz+pBQUDeXa4iI7ADYaOWF3qctBD/YfIAFa0='"
        );
        for (i, o) in [
            ("", ""),
            ("f", "Zg=="),
            ("fo", "Zm8="),
            ("foo", "Zm9v"),
            ("foob", "Zm9vYg=="),
        ] {
            assert_eq!(base64(i.as_bytes()), o);
        }
    }

    #[test]
    fn rendering_is_deterministic() {
        assert_eq!(page().render(), page().render());
    }
}
