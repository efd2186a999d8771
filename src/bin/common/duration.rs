//! The durations both binaries take on their command lines (`milvus-import --timeout` and
//! `--interval`, `milvus-import-emulator --complete-after`): one grammar, written here once.
//! Each binary includes this file with `#[path = "common/duration.rs"] mod duration;` (a file
//! in a folder of `src/bin/` is a binary of its own only when it is named `main.rs`).

use std::time::Duration;

/// The longest duration accepted, in seconds: a week.
const WEEK_SECS: f64 = 7.0 * 24.0 * 3600.0;

/// A duration: a number (digits with at most one point) and a unit — `ms`, `s` or `sec`, `m`
/// or `min`, `h`; no unit means seconds. Spaces around the number and the unit are allowed.
/// Examples: `500ms`, `1.5s`, `90s`, `30m`, `1h`, `7`.
///
/// It must be at least 1 ms (a shorter poll interval would be a hot loop) and at most a week.
/// No signs, exponents, `inf` or `NaN`. The error says what is wrong, for clap's message.
pub(crate) fn parse_duration(text: &str) -> Result<Duration, String> {
    let trimmed = text.trim();
    let end = trimmed
        .find(|c: char| !(c.is_ascii_digit() || c == '.'))
        .unwrap_or(trimmed.len());
    let (number, unit) = trimmed.split_at(end);
    let value: f64 = number
        .parse()
        .map_err(|_| format!("{text:?} is not a duration like 30m, 90s, 500ms, 1h"))?;
    let scale = match unit.trim_start() {
        "ms" => 0.001,
        "" | "s" | "sec" => 1.0,
        "m" | "min" => 60.0,
        "h" => 3600.0,
        other => return Err(format!("unknown unit {other:?} (use ms, s, m or h)")),
    };
    let secs = value * scale;
    if !(0.001..=WEEK_SECS).contains(&secs) {
        return Err(format!("{text:?}: must be at least 1ms and at most a week"));
    }
    Ok(Duration::from_secs_f64(secs))
}

#[cfg(test)]
mod tests {
    use super::parse_duration;
    use std::time::Duration;

    #[test]
    fn durations() {
        let ms = |text| parse_duration(text).map(|d| d.as_millis());
        for (text, millis) in [
            ("30m", 1_800_000),
            ("30min", 1_800_000),
            ("90s", 90_000),
            ("90sec", 90_000),
            ("500ms", 500),
            ("1h", 3_600_000),
            ("7", 7000),
            ("0.25", 250),
            ("1.5s", 1500),
            (" 2 s ", 2000),
            ("1ms", 1),
            ("0.001", 1),
            ("168h", 7 * 24 * 3_600_000),
        ] {
            assert_eq!(ms(text), Ok(millis), "{text:?}");
        }
        assert_eq!(parse_duration("1ms"), Ok(Duration::from_millis(1)));
        for bad in [
            "", "s", "ms", ".", "0", "0s", "-1s", "+1s", "1e3", "inf", "NaN", "1.2.3s", "5d",
            "2 days", "abc", "soon", "169h",
        ] {
            assert!(parse_duration(bad).is_err(), "{bad:?}");
        }
        // Shorter than 1 ms: a hot loop.
        for bad in ["0.0000001s", "0.4ms", "0.0009", "0.00001m", "0.999ms"] {
            let message = parse_duration(bad).unwrap_err();
            assert!(message.contains("at least 1ms"), "{bad:?}: {message}");
        }
    }
}
