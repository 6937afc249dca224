//! SKU003 invisible-character: non-breaking and other Unicode spaces, zero-width,
//! soft hyphen, bidi, line-separator, filler and control characters inside a SKU.

use super::{char_runs, finding, sku_cells};
use crate::diagnostic::{Applicability, Diagnostic, TextFix};
use crate::rules::settings::Settings;
use crate::table::Table;
use crate::text::{is_invisible, reported_invisibles};

pub fn check(table: &Table, _settings: &Settings) -> Vec<Diagnostic> {
    sku_cells(table)
        .filter_map(|(row, role, sku)| {
            // In ASCII only control characters are invisible.
            if sku.is_ascii() {
                if !sku.bytes().any(|b| b.is_ascii_control()) {
                    return None;
                }
            } else if !sku.chars().any(is_invisible) {
                return None;
            }
            // A zero-width space between Khmer words is how Khmer is typed.
            let reported = reported_invisibles(&sku);
            (!reported.is_empty()).then_some((row, role, sku, reported))
        })
        .map(|(row, role, sku, reported)| {
            let chars: Vec<char> = sku.chars().collect();
            let mut found: Vec<String> = reported
                .iter()
                .map(|&i| chars[i])
                .map(|c| format!("U+{:04X} {}", c as u32, char_name(c)))
                .collect();
            found.dedup();
            let message = format!(
                "SKU contains invisible characters ({}); it looks right but matches no other SKU",
                found.join(", ")
            );
            let highlight = char_runs(&sku, |i, _| reported.binary_search(&i).is_ok());
            finding(table, "SKU003", row, role, message)
                .with_highlight(highlight)
                .with_text_fix(Applicability::Safe, TextFix::Normalize)
        })
        .collect()
}

fn char_name(c: char) -> &'static str {
    match c {
        '\u{00A0}' => "no-break space",
        '\u{2000}'..='\u{200A}' | '\u{205F}' => "Unicode space",
        '\u{202F}' => "narrow no-break space",
        '\u{3000}' => "ideographic space",
        '\u{200B}' => "zero-width space",
        '\u{200C}' => "zero-width non-joiner",
        '\u{200D}' => "zero-width joiner",
        '\u{2060}' => "word joiner",
        '\u{2061}'..='\u{2064}' => "invisible operator",
        '\u{1680}' => "Ogham space mark",
        '\u{2028}' => "line separator",
        '\u{2029}' => "paragraph separator",
        '\u{180E}' => "Mongolian vowel separator",
        '\u{034F}' => "combining grapheme joiner",
        '\u{115F}' | '\u{1160}' | '\u{3164}' | '\u{FFA0}' => "Hangul filler",
        '\u{FFF9}'..='\u{FFFB}' => "interlinear annotation mark",
        '\u{FEFF}' => "byte-order mark",
        '\u{00AD}' => "soft hyphen",
        '\t' => "tab",
        '\n' => "line feed",
        '\r' => "carriage return",
        '\u{200E}' | '\u{200F}' | '\u{202A}'..='\u{202E}' | '\u{2066}'..='\u{2069}' => {
            "bidi control"
        }
        _ => "control character",
    }
}
