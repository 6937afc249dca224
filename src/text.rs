//! SKU text: the characters that break sync, how to show them, and how to clean them.
//!
//! Rules, fixes and reports share these definitions so that what a rule finds,
//! what the fix changes and what the report shows are the same characters.

use unicode_normalization::{UnicodeNormalization, is_nfc};

/// Unicode spaces other than U+0020 (SKU003): they become an ASCII space when fixed.
pub fn is_unicode_space(c: char) -> bool {
    matches!(
        c,
        '\u{00A0}' | '\u{1680}' | '\u{2000}'..='\u{200A}' | '\u{202F}' | '\u{205F}' | '\u{3000}'
    )
}

/// Characters that show nothing, or break the line, and are removed when fixed
/// (SKU003): zero-width, word joiner and invisible operators, BOM, soft hyphen,
/// bidi controls, line and paragraph separators, Hangul fillers, the combining
/// grapheme joiner, annotation marks and control characters.
pub fn is_removable_invisible(c: char) -> bool {
    matches!(
        c,
        '\u{200B}'..='\u{200D}'
            | '\u{2060}'..='\u{2064}'
            | '\u{FEFF}'
            | '\u{00AD}'
            | '\u{034F}'
            | '\u{180E}'
            | '\u{200E}'
            | '\u{200F}'
            | '\u{2028}'
            | '\u{2029}'
            | '\u{202A}'..='\u{202E}'
            | '\u{2066}'..='\u{2069}'
            | '\u{115F}'
            | '\u{1160}'
            | '\u{3164}'
            | '\u{FFA0}'
            | '\u{FFF9}'..='\u{FFFB}'
    ) || c.is_control()
}

/// Any character SKU003 reports.
pub fn is_invisible(c: char) -> bool {
    is_unicode_space(c) || is_removable_invisible(c)
}

/// A tab or line break: it shows as a gap, and a seller who typed one meant a
/// separator, so it becomes a space like the Unicode spaces.
pub fn is_tab_or_line_break(c: char) -> bool {
    matches!(c, '\t' | '\r' | '\n')
}

/// Unicode spaces, tabs and line breaks become ASCII spaces, other invisibles
/// are dropped. [`collapse_spaces`] then leaves one space between two words and
/// none at the edges.
pub fn replace_invisibles(text: &str) -> String {
    clean_invisibles(text, |_, _| false)
}

/// [`replace_invisibles`], keeping the characters for which `keep(chars, index)`
/// holds.
fn clean_invisibles(text: &str, keep: impl Fn(&[char], usize) -> bool) -> String {
    let chars: Vec<char> = text.chars().collect();
    let mut out = String::with_capacity(text.len());
    for (index, &c) in chars.iter().enumerate() {
        if keep(&chars, index) {
            out.push(c);
        } else if is_unicode_space(c) || is_tab_or_line_break(c) {
            out.push(' ');
        } else if !is_removable_invisible(c) {
            out.push(c);
        }
    }
    out
}

/// Khmer letters, signs and symbols.
fn is_khmer(c: char) -> bool {
    matches!(c, '\u{1780}'..='\u{17FF}' | '\u{19E0}'..='\u{19FF}')
}

/// A zero-width space between two Khmer characters: Khmer keyboards type it
/// between words (the space bar of the standard layout), so it is part of
/// normally typed Khmer text, not an invisible character to remove.
pub fn is_khmer_word_break(chars: &[char], index: usize) -> bool {
    chars[index] == '\u{200B}'
        && index > 0
        && chars.get(index + 1).is_some_and(|&next| is_khmer(next))
        && is_khmer(chars[index - 1])
}

/// The character indexes SKU003 reports: the invisible characters other than
/// Khmer word breaks.
pub fn reported_invisibles(text: &str) -> Vec<usize> {
    let chars: Vec<char> = text.chars().collect();
    (0..chars.len())
        .filter(|&i| is_invisible(chars[i]) && !is_khmer_word_break(&chars, i))
        .collect()
}

/// Collapses runs of ASCII spaces into one and trims spaces at both ends.
pub fn collapse_spaces(text: &str) -> String {
    let mut out = String::with_capacity(text.len());
    for word in text.split(' ').filter(|w| !w.is_empty()) {
        if !out.is_empty() {
            out.push(' ');
        }
        out.push_str(word);
    }
    out
}

/// All safe fixes of a SKU in one pass: invisibles → NFC → trim → collapse spaces.
/// A Khmer word break stays ([`is_khmer_word_break`]).
pub fn safe_fix(text: &str) -> String {
    let cleaned = clean_invisibles(text, is_khmer_word_break);
    let nfc: String = if is_nfc(&cleaned) {
        cleaned
    } else {
        cleaned.nfc().collect()
    };
    collapse_spaces(&nfc)
}

/// The compatibility characters SKU005 reports replaced by their NFKC form, on
/// top of the safe fixes (unsafe). The letters and punctuation that keyboards
/// of Asian scripts type stay as they are (see [`is_compatibility_character`]).
pub fn compatibility_fix(text: &str) -> String {
    let cleaned = safe_fix(text);
    let cjk = has_cjk(&cleaned);
    let mut out = String::with_capacity(cleaned.len());
    for c in cleaned.chars() {
        if is_compatibility_character(c, cjk) {
            out.extend(std::iter::once(c).nfkc());
        } else {
            out.push(c);
        }
    }
    safe_fix(&out)
}

/// Whether SKU005 reports `c`: NFKC changes it, and it is not what an ordinary
/// keyboard types. Full-width Latin letters and digits, half-width katakana and
/// Hangul, ligatures, circled, squared, super- and subscript forms are reported.
/// Not reported: Thai SARA AM (`ดำ`) and Lao AM, which every Thai and Lao
/// keyboard types as one key; Lao HO NO and HO MO; the Hangul compatibility
/// jamo Korean keyboards type for a lone consonant or vowel; and, in a SKU that
/// has Chinese, Japanese or Korean text (`cjk_text`), the full-width punctuation
/// their input methods type (`（黑色）`). Invisible characters are SKU003's.
pub fn is_compatibility_character(c: char, cjk_text: bool) -> bool {
    if c.is_ascii() || is_invisible(c) || is_keyboard_letter(c) {
        return false;
    }
    if cjk_text && is_cjk_punctuation(c) {
        return false;
    }
    !std::iter::once(c).nfkc().eq(std::iter::once(c))
}

/// Letters with a compatibility decomposition that are the only way keyboards
/// type them.
fn is_keyboard_letter(c: char) -> bool {
    matches!(
        c,
        '\u{0E33}' // THAI CHARACTER SARA AM
            | '\u{0EB3}' // LAO VOWEL SIGN AM
            | '\u{0EDC}' // LAO HO NO
            | '\u{0EDD}' // LAO HO MO
            | '\u{3131}'..='\u{318E}' // Hangul compatibility jamo
    )
}

/// The full-width punctuation and symbols that Chinese, Japanese and Korean
/// input methods type: `！` to `／`, `：` to `＠`, `［` to `｀`, `｛` to `～`, `￠` to `￦`.
fn is_cjk_punctuation(c: char) -> bool {
    matches!(
        c,
        '\u{FF01}'..='\u{FF0F}'
            | '\u{FF1A}'..='\u{FF20}'
            | '\u{FF3B}'..='\u{FF40}'
            | '\u{FF5B}'..='\u{FF5E}'
            | '\u{FFE0}'..='\u{FFE6}'
    )
}

/// Whether the text has Chinese, Japanese or Korean letters (Han, kana, Hangul).
pub fn has_cjk(text: &str) -> bool {
    text.chars().any(|c| {
        matches!(
            c,
            '\u{1100}'..='\u{11FF}'
                | '\u{3040}'..='\u{30FF}'
                | '\u{3130}'..='\u{318F}'
                | '\u{3400}'..='\u{4DBF}'
                | '\u{4E00}'..='\u{9FFF}'
                | '\u{AC00}'..='\u{D7A3}'
                | '\u{20000}'..='\u{3134F}'
        )
    })
}

/// Lookalike letters mapped to Latin on top of the safe fixes (SKU006, unsafe).
pub fn lookalike_fix(text: &str) -> String {
    let latin: String = safe_fix(text)
        .chars()
        .map(|c| latin_lookalike(c).unwrap_or(c))
        .collect();
    // A Latin letter with a combining accent composes anew (Cyrillic А + U+0301 → Á).
    safe_fix(&latin)
}

/// The key under which two SKUs count as near-duplicates (DUP002): invisibles removed,
/// NFKC, spaces trimmed and collapsed, lowercase.
pub fn near_duplicate_key(text: &str) -> String {
    let mut key = String::with_capacity(text.len());
    near_duplicate_key_into(text, &mut key);
    key
}

/// [`near_duplicate_key`] appended to `key`, so that a loop over every SKU of a
/// sheet can reuse one buffer.
pub fn near_duplicate_key_into(text: &str, key: &mut String) {
    // NFKC leaves ASCII as it is; most SKUs are ASCII, and this runs on every one.
    if text.is_ascii() {
        let start = key.len();
        let mut space = false;
        for c in text
            .chars()
            .filter(|&c| !c.is_ascii_control() || is_tab_or_line_break(c))
        {
            if c == ' ' || is_tab_or_line_break(c) {
                space = key.len() > start;
            } else {
                if space {
                    key.push(' ');
                    space = false;
                }
                key.push(c.to_ascii_lowercase());
            }
        }
        return;
    }
    key.push_str(&unicode_near_duplicate_key(text));
}

fn unicode_near_duplicate_key(text: &str) -> String {
    let cleaned = replace_invisibles(text);
    let lower = cleaned.nfkc().collect::<String>().to_lowercase();
    // Lowercasing can leave marks out of canonical order (`İ` becomes `i` + U+0307),
    // so the key is normalized again: equal keys for canonically equal text.
    collapse_spaces(&lower.nfkc().collect::<String>())
}

/// The Latin letter a Cyrillic or Greek letter imitates, if it imitates one.
pub fn latin_lookalike(c: char) -> Option<char> {
    Some(match c {
        // Cyrillic
        'А' => 'A',
        'В' => 'B',
        'Е' => 'E',
        'К' => 'K',
        'М' => 'M',
        'Н' => 'H',
        'О' => 'O',
        'Р' => 'P',
        'С' => 'C',
        'Т' => 'T',
        'Х' => 'X',
        'У' => 'Y',
        'І' => 'I',
        'Ј' => 'J',
        'Ѕ' => 'S',
        'а' => 'a',
        'е' => 'e',
        'о' => 'o',
        'р' => 'p',
        'с' => 'c',
        'у' => 'y',
        'х' => 'x',
        'і' => 'i',
        'ј' => 'j',
        'ѕ' => 's',
        // Greek
        'Α' => 'A',
        'Β' => 'B',
        'Ε' => 'E',
        'Ζ' => 'Z',
        'Η' => 'H',
        'Ι' => 'I',
        'Κ' => 'K',
        'Μ' => 'M',
        'Ν' => 'N',
        'Ο' => 'O',
        'Ρ' => 'P',
        'Τ' => 'T',
        'Υ' => 'Y',
        'Χ' => 'X',
        'ο' => 'o',
        _ => return None,
    })
}

/// Letters of the Latin script, including Vietnamese and other accented forms.
pub fn is_latin_letter(c: char) -> bool {
    c.is_ascii_alphabetic()
        || matches!(c, '\u{00C0}'..='\u{00D6}' | '\u{00D8}'..='\u{00F6}' | '\u{00F8}'..='\u{024F}' | '\u{1E00}'..='\u{1EFF}')
}

/// Combining accents are shown by code so that a decomposed `È` (E + U+0300)
/// can be told apart from the precomposed one.
fn is_combining_accent(c: char) -> bool {
    matches!(c, '\u{0300}'..='\u{036F}')
}

/// How a character is shown in reports: `␣` for a space, `⟨U+00A0⟩` for an invisible one.
fn render_char(c: char, out: &mut String) {
    if c == ' ' {
        out.push('␣');
    } else if is_invisible(c) || is_combining_accent(c) {
        out.push_str(&format!("⟨U+{:04X}⟩", c as u32));
    } else {
        out.push(c);
    }
}

/// The value with spaces, invisible characters and combining accents made visible
/// (`KAOS␣␣HITAM`, `KAOS⟨U+00A0⟩PUTIH`, `CRE⟨U+0300⟩ME`).
pub fn visible(text: &str) -> String {
    let mut out = String::with_capacity(text.len() + 8);
    for c in text.chars() {
        render_char(c, &mut out);
    }
    out
}

/// Text from a file or a server made safe to print in a line of prose: spaces
/// stay spaces, every other invisible or control character is shown by its code
/// as in [`visible`], so no escape sequence reaches a terminal and no line break
/// starts a line of its own (a CI log runs a line starting `::error` as a command).
pub fn printable(text: &str) -> String {
    if !text.chars().any(needs_code) {
        return text.to_string();
    }
    let mut out = String::with_capacity(text.len() + 8);
    for c in text.chars() {
        if needs_code(c) {
            out.push_str(&format!("⟨U+{:04X}⟩", c as u32));
        } else {
            out.push(c);
        }
    }
    out
}

/// Characters [`printable`] shows by their code.
fn needs_code(c: char) -> bool {
    c != ' ' && is_invisible(c)
}

/// Values longer than this many characters are shown cut in reports read by
/// people, with their length: a cell can hold a million characters.
pub const SHOWN_CHARS: usize = 200;

/// What follows a value cut at [`SHOWN_CHARS`]: its length in characters.
pub fn cut_note(chars: usize) -> String {
    format!("… ({chars} characters)")
}

/// [`visible`] of at most [`SHOWN_CHARS`] characters, with [`cut_note`] after a
/// longer value.
pub fn visible_cut(text: &str) -> String {
    let (runs, total) = visible_runs(text, &[]);
    let mut out: String = runs.into_iter().map(|(_, run)| run).collect();
    if let Some(total) = total {
        out.push_str(&cut_note(total));
    }
    out
}

/// Which of the first `len` characters fall in `ranges` (character index
/// ranges, end exclusive), in time linear in `len` and the number of ranges.
fn marked_chars(len: usize, ranges: &[(usize, usize)]) -> Vec<bool> {
    let mut starts_minus_ends = vec![0i64; len + 1];
    for &(start, end) in ranges {
        let (start, end) = (start.min(len), end.min(len));
        if start < end {
            starts_minus_ends[start] += 1;
            starts_minus_ends[end] -= 1;
        }
    }
    let mut depth = 0;
    starts_minus_ends[..len]
        .iter()
        .map(|delta| {
            depth += delta;
            depth > 0
        })
        .collect()
}

/// The visible form of at most [`SHOWN_CHARS`] characters of `text`, in runs
/// that are all in `ranges` or all outside them, and the length of `text` in
/// characters when it was cut.
pub fn visible_runs(text: &str, ranges: &[(usize, usize)]) -> (Vec<(bool, String)>, Option<usize>) {
    let shown: Vec<char> = text.chars().take(SHOWN_CHARS + 1).collect();
    let cut = (shown.len() > SHOWN_CHARS).then(|| text.chars().count());
    let shown = &shown[..shown.len().min(SHOWN_CHARS)];
    let marked = marked_chars(shown.len(), ranges);
    let mut runs: Vec<(bool, String)> = Vec::new();
    for (&c, &marked) in shown.iter().zip(&marked) {
        match runs.last_mut() {
            Some((m, run)) if *m == marked => render_char(c, run),
            _ => {
                let mut run = String::new();
                render_char(c, &mut run);
                runs.push((marked, run));
            }
        }
    }
    (runs, cut)
}

/// The visible form of `text` and a caret line under the characters in `ranges`
/// (character index ranges, end exclusive); a value longer than
/// [`SHOWN_CHARS`] is cut, with its length after it.
pub fn visible_with_carets(text: &str, ranges: &[(usize, usize)]) -> (String, String) {
    let (runs, cut) = visible_runs(text, ranges);
    let mut shown = String::new();
    let mut carets = String::new();
    for (marked, run) in runs {
        let width: usize = run.chars().map(display_width).sum();
        carets.push_str(&(if marked { "^" } else { " " }).repeat(width));
        shown.push_str(&run);
    }
    if let Some(total) = cut {
        shown.push_str(&cut_note(total));
    }
    (shown, carets.trim_end().to_string())
}

/// Whether a spreadsheet program opening a CSV file would run `text` as a
/// formula: it starts with `=`, `+`, `-` or `@`, or a tab or carriage return
/// (which some programs skip before one).
pub fn starts_like_formula(text: &str) -> bool {
    text.starts_with(['=', '+', '-', '@', '\t', '\r'])
}

/// The text a spreadsheet program shows as text, never as a formula: a leading
/// `'` before a value that [`starts_like_formula`].
pub fn neutralize(value: &str) -> String {
    if starts_like_formula(value) {
        format!("'{value}")
    } else {
        value.to_string()
    }
}

/// Terminal columns a character takes: 2 for full-width and CJK, 0 for combining marks.
fn display_width(c: char) -> usize {
    match c {
        '\u{0300}'..='\u{036F}' => 0,
        '\u{1100}'..='\u{115F}'
        | '\u{2E80}'..='\u{A4CF}'
        | '\u{AC00}'..='\u{D7A3}'
        | '\u{F900}'..='\u{FAFF}'
        | '\u{FF00}'..='\u{FF60}'
        | '\u{FFE0}'..='\u{FFE6}' => 2,
        _ => 1,
    }
}

#[cfg(test)]
mod tests {
    use proptest::prelude::*;

    use super::*;

    /// Found by fuzzing: `İ` lowercases to `i` + U+0307, after a mark that must come first.
    #[test]
    fn near_duplicate_key_is_canonical_after_lowercasing() {
        let key = near_duplicate_key("A\u{130}\u{32D}");
        assert_eq!(near_duplicate_key(&key), key);
        assert_eq!(key, near_duplicate_key("ai\u{32D}\u{307}"));
    }

    proptest! {
        #[test]
        fn ascii_near_duplicate_keys_match_the_unicode_definition(text in "[ -~\t\x00\x01\x7f]{0,16}") {
            prop_assert_eq!(near_duplicate_key(&text), unicode_near_duplicate_key(&text));
        }
    }

    #[test]
    fn safe_fix_composes_every_safe_change() {
        assert_eq!(safe_fix("  KAOS  HITAM\u{00A0}L\u{200B} "), "KAOS HITAM L");
        assert_eq!(safe_fix("A\u{0301}O"), "ÁO");
        assert_eq!(safe_fix("A\u{200B}\u{0301}"), "Á");
        assert_eq!(safe_fix("KAOS\tPUTIH"), "KAOS PUTIH");
        assert_eq!(safe_fix("KAOS\r\nPUTIH"), "KAOS PUTIH");
        assert_eq!(safe_fix("KAOS \n PUTIH\t"), "KAOS PUTIH");
        assert_eq!(safe_fix("\tKAOS\u{0007}PUTIH"), "KAOSPUTIH");
        assert_eq!(near_duplicate_key("KAOS\tPUTIH"), "kaos putih");
    }

    /// Found by fuzzing: line and paragraph separators and the Ogham space mark
    /// slipped through; the other blank-looking characters were missed too.
    #[test]
    fn separators_fillers_and_invisible_operators_are_invisible() {
        for c in [
            '\u{2028}', '\u{2029}', '\u{180E}', '\u{034F}', '\u{2061}', '\u{2064}', '\u{115F}',
            '\u{1160}', '\u{3164}', '\u{FFA0}', '\u{FFF9}', '\u{FFFB}',
        ] {
            assert!(is_invisible(c), "U+{:04X}", c as u32);
            assert_eq!(
                safe_fix(&format!("KAOS{c}HITAM")),
                "KAOSHITAM",
                "U+{:04X}",
                c as u32
            );
        }
        assert!(is_invisible('\u{1680}'));
        assert_eq!(safe_fix("KAOS\u{1680}HITAM"), "KAOS HITAM");
        assert_eq!(visible("A\u{2028}B"), "A⟨U+2028⟩B");
    }

    #[test]
    fn a_zero_width_space_between_khmer_words_stays() {
        let typed = "អាវ\u{200B}ខ្មៅ";
        assert_eq!(safe_fix(typed), typed);
        assert!(reported_invisibles(typed).is_empty());
        // At an edge or beside a Latin letter it is what it is anywhere else.
        assert_eq!(safe_fix("អាវ\u{200B}-L\u{200B}"), "អាវ-L");
        assert_eq!(reported_invisibles("\u{200B}អាវ\u{200B}A"), [0, 4]);
        // Near-duplicates still ignore it.
        assert_eq!(near_duplicate_key(typed), near_duplicate_key("អាវខ្មៅ"));
    }

    #[test]
    fn near_duplicate_key_ignores_case_spacing_and_width() {
        assert_eq!(
            near_duplicate_key(" kaos\u{00A0} HITAM"),
            near_duplicate_key("KAOS HITAM")
        );
        assert_eq!(near_duplicate_key("ＳＫＵ１２"), "sku12");
    }

    #[test]
    fn formula_like_values_are_made_text() {
        for value in ["=1+1", "+62812", "-3", "@SUM(A1)", "\tX", "\rX"] {
            assert_eq!(neutralize(value), format!("'{value}"));
        }
        for value in ["KAOS HITAM", "", " =1", "'quoted"] {
            assert_eq!(neutralize(value), value);
        }
    }

    /// A cell of a million characters with a run of spaces every third
    /// character: shown cut, with its length, and the carets under the part shown.
    #[test]
    fn long_values_are_shown_cut_with_their_length() {
        let value = "A  ".repeat(350_000);
        let ranges: Vec<(usize, usize)> = (0..350_000).map(|i| (i * 3 + 1, i * 3 + 3)).collect();
        let (shown, carets) = visible_with_carets(&value, &ranges);
        assert!(shown.ends_with("… (1050000 characters)"), "{shown}");
        let note = cut_note(1_050_000);
        assert_eq!(shown.chars().count(), SHOWN_CHARS + note.chars().count());
        assert!(shown.starts_with("A␣␣A␣␣"));
        assert!(carets.starts_with(" ^^ ^^ ^^"));
        assert!(carets.chars().count() <= SHOWN_CHARS);
        assert_eq!(visible_cut(&value), shown);
        let exact = "B".repeat(SHOWN_CHARS);
        assert_eq!(visible_cut(&exact), exact);
    }

    #[test]
    fn overlapping_ranges_mark_each_character_once() {
        let (shown, carets) = visible_with_carets("ABCDEF", &[(1, 4), (2, 3), (3, 5), (9, 12)]);
        assert_eq!(shown, "ABCDEF");
        assert_eq!(carets, " ^^^^");
    }

    #[test]
    fn printable_shows_escapes_and_line_breaks_by_code() {
        assert_eq!(
            printable("12\n::error title=x::y \u{1b}]8;;http://a\u{7}"),
            "12⟨U+000A⟩::error title=x::y ⟨U+001B⟩]8;;http://a⟨U+0007⟩"
        );
        assert_eq!(printable("Sheet 1"), "Sheet 1");
        assert_eq!(printable("a\u{9b}b\u{202e}c"), "a⟨U+009B⟩b⟨U+202E⟩c");
    }

    #[test]
    fn carets_sit_under_the_rendered_characters() {
        let (shown, carets) = visible_with_carets("KAOS  HITAM", &[(4, 6)]);
        assert_eq!(shown, "KAOS␣␣HITAM");
        assert_eq!(carets, "    ^^");
        let (shown, carets) = visible_with_carets("A\u{00A0}B", &[(1, 2)]);
        assert_eq!(shown, "A⟨U+00A0⟩B");
        assert_eq!(carets, " ^^^^^^^^");
    }
}
