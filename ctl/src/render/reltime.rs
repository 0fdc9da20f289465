//! Relative times like the Docker CLI's ("Less than a second ago", "About a minute ago",
//! "3 hours ago"), for task states and creation times.

use shoal_api::Timestamp;
use std::time::Duration;

/// Docker's `units.HumanDuration`: coarse and friendly, hours rounded to the nearest.
pub fn human_duration(d: Duration) -> String {
    let seconds = d.as_secs();
    let minutes = seconds / 60;
    let hours = (d.as_secs_f64() / 3600.0 + 0.5) as u64;
    if seconds < 1 {
        "Less than a second".into()
    } else if seconds == 1 {
        "1 second".into()
    } else if seconds < 60 {
        format!("{seconds} seconds")
    } else if minutes == 1 {
        "About a minute".into()
    } else if minutes < 60 {
        format!("{minutes} minutes")
    } else if hours == 1 {
        "About an hour".into()
    } else if hours < 48 {
        format!("{hours} hours")
    } else if hours < 24 * 7 * 2 {
        format!("{} days", hours / 24)
    } else if hours < 24 * 30 * 2 {
        format!("{} weeks", hours / 24 / 7)
    } else if hours < 24 * 365 * 2 {
        format!("{} months", hours / 24 / 30)
    } else {
        format!("{} years", seconds / 3600 / 24 / 365)
    }
}

/// `5 seconds ago`; a time in the future (clock skew) counts as now.
pub fn ago(then: Timestamp, now: Timestamp) -> String {
    format!("{} ago", human_duration(then.until(now)))
}

#[cfg(test)]
mod tests {
    use super::*;

    fn at(d: Duration) -> String {
        let now = Timestamp(1_700_000_000_000);
        let then = Timestamp(now.0 - d.as_millis() as u64);
        ago(then, now)
    }

    #[test]
    fn reads_like_docker() {
        let s = Duration::from_secs;
        assert_eq!(at(Duration::from_millis(300)), "Less than a second ago");
        assert_eq!(at(s(1)), "1 second ago");
        assert_eq!(at(s(5)), "5 seconds ago");
        assert_eq!(at(s(59)), "59 seconds ago");
        assert_eq!(at(s(60)), "About a minute ago");
        assert_eq!(at(s(119)), "About a minute ago");
        assert_eq!(at(s(120)), "2 minutes ago");
        assert_eq!(at(s(59 * 60)), "59 minutes ago");
        assert_eq!(at(s(60 * 60)), "About an hour ago");
        assert_eq!(at(s(89 * 60)), "About an hour ago");
        assert_eq!(at(s(90 * 60)), "2 hours ago");
        assert_eq!(at(s(3 * 3600)), "3 hours ago");
        assert_eq!(at(s(47 * 3600)), "47 hours ago");
        assert_eq!(at(s(2 * 86400)), "2 days ago");
        assert_eq!(at(s(20 * 86400)), "2 weeks ago");
        assert_eq!(at(s(90 * 86400)), "3 months ago");
        assert_eq!(at(s(800 * 86400)), "2 years ago");
    }

    #[test]
    fn the_future_is_now() {
        let now = Timestamp(1_000);
        assert_eq!(ago(Timestamp(5_000), now), "Less than a second ago");
    }
}
