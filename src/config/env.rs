//! Parsing the environment variables' values (pure functions: reading the
//! variables and applying the values is the settings' job).

use std::time::Duration;

use super::policy::Policy;
use crate::report::ViolationKind;

/// A default policy and per-kind policies, as `LOCKGRAPH` gives them.
pub(super) type Policies = (Option<Policy>, Vec<(ViolationKind, Policy)>);

/// Parses `policy[,kind=policy]*` (also `kind=policy` alone); returns the bad
/// part on error.
pub(super) fn parse_policies(value: &str) -> Result<Policies, String> {
    let mut default = None;
    let mut kinds = Vec::new();
    for part in value.split(',').map(str::trim).filter(|p| !p.is_empty()) {
        let lower = part.to_ascii_lowercase();
        match lower.split_once('=') {
            None => default = Some(Policy::parse(&lower).ok_or_else(|| part.to_string())?),
            Some((kind, policy)) => {
                let kind = ViolationKind::ALL
                    .into_iter()
                    .find(|k| k.env_name() == kind.trim());
                let policy = Policy::parse(policy.trim());
                match (kind, policy) {
                    (Some(kind), Some(policy)) => kinds.push((kind, policy)),
                    _ => return Err(part.to_string()),
                }
            }
        }
    }
    if default.is_none() && kinds.is_empty() {
        return Err(value.to_string());
    }
    Ok((default, kinds))
}

/// Parses `250ms`, `30s`, `2m` or `off`; `None` if the value is none of these.
pub(super) fn parse_duration(value: &str) -> Option<Option<Duration>> {
    let value = value.trim().to_ascii_lowercase();
    if value == "off" {
        return Some(None);
    }
    let split = value.find(|c: char| !c.is_ascii_digit())?;
    let (number, unit) = value.split_at(split);
    let number: u64 = number.parse().ok()?;
    let duration = match unit.trim() {
        "ms" => Duration::from_millis(number),
        "s" => Duration::from_secs(number),
        "m" => Duration::from_secs(number.checked_mul(60)?),
        _ => return None,
    };
    Some(Some(duration))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn policies_parse() {
        assert_eq!(parse_policies("warn"), Ok((Some(Policy::Warn), vec![])));
        assert_eq!(
            parse_policies("warn, deadlock=panic,long-wait=off"),
            Ok((
                Some(Policy::Warn),
                vec![
                    (ViolationKind::Deadlock, Policy::Panic),
                    (ViolationKind::LongWait, Policy::Ignore)
                ]
            ))
        );
        assert_eq!(parse_policies("OFF"), Ok((Some(Policy::Ignore), vec![])));
        assert_eq!(
            parse_policies("panic,notice=off"),
            Ok((
                Some(Policy::Panic),
                vec![(ViolationKind::Notice, Policy::Ignore)]
            ))
        );
        assert_eq!(parse_policies("warm"), Err("warm".to_string()));
        assert_eq!(
            parse_policies("cycles=warn"),
            Err("cycles=warn".to_string())
        );
        assert_eq!(parse_policies(""), Err(String::new()));
    }

    #[test]
    fn durations_parse() {
        let ms = Duration::from_millis;
        assert_eq!(parse_duration("250ms"), Some(Some(ms(250))));
        assert_eq!(parse_duration(" 30s"), Some(Some(ms(30_000))));
        assert_eq!(parse_duration("2m"), Some(Some(ms(120_000))));
        assert_eq!(parse_duration("OFF"), Some(None));
        assert_eq!(parse_duration("30"), None);
        assert_eq!(parse_duration("1h"), None);
        assert_eq!(parse_duration("ms"), None);
        assert_eq!(parse_duration("-1s"), None);
    }
}
