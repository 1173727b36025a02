//! A terminal buffer as an SVG picture (the dark theme's colours), for the README's screenshots.

use std::fmt::Write;

use ratatui::buffer::Buffer;
use ratatui::style::{Color, Modifier};

const CELL_W: f32 = 8.4;
const CELL_H: f32 = 18.0;
const FOREGROUND: &str = "#d4d4d4";
const BACKGROUND: &str = "#1e1e1e";

fn hex(color: Color, default: &str) -> String {
    match color {
        Color::Reset => default.to_string(),
        Color::Black => "#000000".into(),
        Color::Red => "#cd3131".into(),
        Color::Green => "#0dbc79".into(),
        Color::Yellow => "#e5e510".into(),
        Color::Blue => "#2472c8".into(),
        Color::Magenta => "#bc3fbc".into(),
        Color::Cyan => "#11a8cd".into(),
        Color::Gray => "#a0a0a0".into(),
        Color::DarkGray => "#666666".into(),
        Color::LightRed => "#f14c4c".into(),
        Color::LightGreen => "#23d18b".into(),
        Color::LightYellow => "#f5f543".into(),
        Color::LightBlue => "#3b8eea".into(),
        Color::LightMagenta => "#d670d6".into(),
        Color::LightCyan => "#29b8db".into(),
        Color::White => "#e5e5e5".into(),
        Color::Rgb(r, g, b) => format!("#{r:02x}{g:02x}{b:02x}"),
        Color::Indexed(_) => default.to_string(),
    }
}

fn escape(text: &str) -> String {
    text.replace('&', "&amp;").replace('<', "&lt;").replace('>', "&gt;")
}

pub fn svg(buffer: &Buffer) -> String {
    let area = buffer.area;
    let (width, height) = (area.width as f32 * CELL_W + 16.0, area.height as f32 * CELL_H + 16.0);
    let mut out = String::new();
    writeln!(
        out,
        r#"<svg xmlns="http://www.w3.org/2000/svg" width="{width:.0}" height="{height:.0}" viewBox="0 0 {width:.0} {height:.0}" xml:space="preserve" style="white-space:pre" font-family="'DejaVu Sans Mono', Menlo, Consolas, monospace" font-size="14">"#
    )
    .unwrap();
    writeln!(out, r#"<rect width="100%" height="100%" rx="6" fill="{BACKGROUND}"/>"#).unwrap();
    for y in 0..area.height {
        let py = 8.0 + y as f32 * CELL_H;
        // One <text> per run of cells in the same style, each glyph placed on its cell.
        let mut run: Option<(String, &str, String, Vec<String>)> = None;
        let flush = |out: &mut String, run: &mut Option<(String, &str, String, Vec<String>)>| {
            if let Some((fg, weight, text, xs)) = run.take()
                && !text.trim().is_empty()
            {
                let baseline = py + CELL_H * 0.75;
                writeln!(
                    out,
                    r#"<text x="{}" y="{baseline}" fill="{fg}"{weight}>{}</text>"#,
                    xs.join(" "),
                    escape(&text)
                )
                .unwrap();
            }
        };
        for x in 0..area.width {
            let cell = &buffer[(x, y)];
            let (mut fg, mut bg) = (hex(cell.fg, FOREGROUND), hex(cell.bg, BACKGROUND));
            if cell.modifier.contains(Modifier::REVERSED) {
                std::mem::swap(&mut fg, &mut bg);
            }
            let px = 8.0 + x as f32 * CELL_W;
            if bg != BACKGROUND {
                writeln!(out, r#"<rect x="{px}" y="{py}" width="{CELL_W}" height="{CELL_H}" fill="{bg}"/>"#).unwrap();
            }
            let weight = if cell.modifier.contains(Modifier::BOLD) { r#" font-weight="bold""# } else { "" };
            let symbol = if cell.symbol().is_empty() { " " } else { cell.symbol() };
            let same = run.as_ref().is_some_and(|(f, w, _, _)| *f == fg && *w == weight);
            if !same {
                flush(&mut out, &mut run);
                run = Some((fg, weight, String::new(), Vec::new()));
            }
            if let Some((_, _, text, xs)) = run.as_mut() {
                text.push_str(symbol);
                xs.push(format!("{px:.1}"));
            }
        }
        flush(&mut out, &mut run);
    }
    out.push_str("</svg>\n");
    out
}
