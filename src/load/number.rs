//! Numbers written as text, parsed strictly: a value is read as the number it says in its file's locale, or
//! it is an error — never another number. With the decimal point (`.`), `1234.5`, `1,234.5` and `1 234.5`
//! are read (thousands grouped by exactly three digits); `2,6` or `12,4964` are errors that suggest
//! `decimal = ","`. With the decimal comma (`,`), `1234,5`, `1.234,5` and `1 234,5` are read and `2.6` is an
//! error that suggests `decimal = "."`. Full-width digits and signs (`１２３`, `－`) are read as their ASCII
//! forms; `1e3` is read; `NaN` and infinities are not numbers.

use crate::config::DecimalMark;

/// Why text is not a number.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum NumberError {
    /// Not a number at all.
    NotANumber,
    /// A number with the other decimal mark (the hint names the option).
    OtherDecimalMark(&'static str),
    /// `NaN` or an infinity.
    NotFinite,
}

impl NumberError {
    /// The rule, for error messages.
    pub fn rule(&self, key: &str) -> String {
        match self {
            NumberError::NotANumber => format!("`{key}` must be a number"),
            NumberError::OtherDecimalMark(hint) => format!("`{key}` must be a number; {hint}"),
            NumberError::NotFinite => format!("`{key}` must be a finite number"),
        }
    }
}

/// Parses `text` with the given decimal mark.
pub fn parse(text: &str, decimal: DecimalMark) -> Result<f64, NumberError> {
    let s = normalise(text.trim());
    if s.is_empty() {
        return Err(NumberError::NotANumber);
    }
    let lower = s.to_ascii_lowercase();
    let bare = lower.trim_start_matches(['+', '-']);
    if matches!(bare, "nan" | "inf" | "infinity") {
        return Err(NumberError::NotFinite);
    }
    let (mark, group) = match decimal {
        DecimalMark::Point => ('.', ','),
        DecimalMark::Comma => (',', '.'),
    };
    match plain(&s, mark, group) {
        Some(x) if x.is_finite() => Ok(x),
        Some(_) => Err(NumberError::NotFinite),
        None => {
            let other = match decimal {
                DecimalMark::Point => DecimalMark::Comma,
                DecimalMark::Comma => DecimalMark::Point,
            };
            let (omark, ogroup) = if mark == '.' { (',', '.') } else { ('.', ',') };
            if plain(&s, omark, ogroup).is_some() {
                Err(NumberError::OtherDecimalMark(match other {
                    DecimalMark::Comma => {
                        "it is written with a decimal comma: set decimal = \",\" for this layer if the file uses one"
                    }
                    DecimalMark::Point => {
                        "it is written with a decimal point: set decimal = \".\" for this layer if the file uses one"
                    }
                }))
            } else {
                Err(NumberError::NotANumber)
            }
        }
    }
}

/// Full-width digits, signs and marks (Chinese input methods) to ASCII; thin and no-break spaces to spaces.
fn normalise(s: &str) -> String {
    s.chars()
        .map(|c| match c {
            '０'..='９' => char::from(b'0' + (c as u32 - '０' as u32) as u8),
            '－' | '−' => '-',
            '＋' => '+',
            '．' => '.',
            '，' => ',',
            '\u{a0}' | '\u{202f}' | '\u{2009}' | '\u{3000}' => ' ',
            other => other,
        })
        .collect()
}

/// `[sign] integer [mark fraction] [e exponent]`, the integer part plain or grouped by threes with `group`
/// or spaces; `None` when the text is not of that form.
fn plain(s: &str, mark: char, group: char) -> Option<f64> {
    let (sign, body) = match s.strip_prefix('-') {
        Some(rest) => ("-", rest),
        None => ("", s.strip_prefix('+').unwrap_or(s)),
    };
    let (mantissa, exponent) = match body.find(['e', 'E']) {
        Some(i) => (&body[..i], Some(&body[i + 1..])),
        None => (body, None),
    };
    let (int, frac) = match mantissa.split_once(mark) {
        Some((i, f)) => (i, Some(f)),
        None => (mantissa, None),
    };
    if let Some(f) = frac
        && (f.is_empty() && int.is_empty() || !f.chars().all(|c| c.is_ascii_digit()))
    {
        return None;
    }
    let digits = ungroup(int, group)?;
    if digits.is_empty() && frac.is_none_or(str::is_empty) {
        return None;
    }
    if let Some(e) = exponent {
        let e = e.strip_prefix(['+', '-']).unwrap_or(e);
        if e.is_empty() || !e.chars().all(|c| c.is_ascii_digit()) {
            return None;
        }
    }
    let mut text = format!("{sign}{}", if digits.is_empty() { "0" } else { &digits });
    if let Some(f) = frac.filter(|f| !f.is_empty()) {
        text.push('.');
        text.push_str(f);
    }
    if let Some(e) = exponent {
        text.push('e');
        text.push_str(e);
    }
    text.parse::<f64>().ok()
}

/// The digits of an integer part: plain (`1234`), or grouped by exactly three with one separator kind
/// (`1,234,567`, `1 234 567`).
fn ungroup(int: &str, group: char) -> Option<String> {
    if int.chars().all(|c| c.is_ascii_digit()) {
        return Some(int.to_string());
    }
    let sep = if int.contains(group) { group } else { ' ' };
    let parts: Vec<&str> = int.split(sep).collect();
    let grouped = parts.len() > 1
        && (1..=3).contains(&parts[0].len())
        && parts[1..].iter().all(|p| p.len() == 3)
        && parts.iter().all(|p| p.chars().all(|c| c.is_ascii_digit()));
    grouped.then(|| parts.concat())
}

#[cfg(test)]
mod tests {
    use super::*;
    use DecimalMark::{Comma, Point};

    #[test]
    fn the_decimal_point_locale() {
        for (text, x) in [
            ("12", 12.0),
            ("-3.5", -3.5),
            ("+7", 7.0),
            (".5", 0.5),
            ("5.", 5.0),
            ("1,234", 1234.0),
            ("1,234,567.25", 1_234_567.25),
            ("1 234 567", 1_234_567.0),
            ("１２３", 123.0),
            ("1e3", 1000.0),
            ("126.6314", 126.6314),
        ] {
            assert_eq!(parse(text, Point), Ok(x), "{text}");
        }
        for text in ["2,6", "12,4964", "1.146,5"] {
            assert!(matches!(parse(text, Point), Err(NumberError::OtherDecimalMark(_))), "{text}");
        }
        for text in ["12a", "1,23,4", "", "-", ".", "1..2", "1,2345", "e5", "1e"] {
            assert!(parse(text, Point).is_err(), "{text}");
        }
        assert!(matches!(parse("12,34", Point), Err(NumberError::OtherDecimalMark(_))));
        assert_eq!(parse("NaN", Point), Err(NumberError::NotFinite));
        assert_eq!(parse("1e400", Point), Err(NumberError::NotFinite));
    }

    #[test]
    fn the_decimal_comma_locale() {
        for (text, x) in
            [("2,6", 2.6), ("12,4964", 12.4964), ("1.146", 1146.0), ("1.234.567,5", 1_234_567.5), ("7", 7.0)]
        {
            assert_eq!(parse(text, Comma), Ok(x), "{text}");
        }
        assert!(matches!(parse("2.6", Comma), Err(NumberError::OtherDecimalMark(_))));
        assert!(matches!(parse("1,234.5", Comma), Err(NumberError::OtherDecimalMark(_))));
    }

    proptest::proptest! {
        #[test]
        fn every_float_rust_writes_reads_back(x in proptest::num::f64::NORMAL | proptest::num::f64::ZERO) {
            proptest::prop_assert_eq!(parse(&format!("{x}"), Point), Ok(x));
            proptest::prop_assert_eq!(parse(&format!("{x}").replace('.', ","), Comma), Ok(x));
        }
    }
}
