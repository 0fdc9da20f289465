//! The managers' base URLs as this node last heard them. The agent refreshes the list at each
//! registration; the node's certificate keeper reads it, and the worker daemon watches it to
//! remember it across restarts, so a worker follows managers that come and go.

use std::sync::Arc;
use tokio::sync::watch;

#[derive(Clone, Debug)]
pub struct Managers(Arc<watch::Sender<Vec<String>>>);

impl Managers {
    pub fn new(urls: Vec<String>) -> Managers {
        Managers(Arc::new(watch::channel(urls).0))
    }

    pub fn get(&self) -> Vec<String> {
        self.0.borrow().clone()
    }

    /// Replaces the list with a non-empty one that differs; returns whether it changed.
    pub fn set(&self, urls: Vec<String>) -> bool {
        if urls.is_empty() {
            return false;
        }
        self.0.send_if_modified(|known| {
            let changed = *known != urls;
            *known = urls;
            changed
        })
    }

    /// Woken at each change.
    pub fn subscribe(&self) -> watch::Receiver<Vec<String>> {
        self.0.subscribe()
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn only_a_new_non_empty_list_replaces_the_known_one() {
        let m = Managers::new(vec!["https://a".into()]);
        let rx = m.subscribe();
        assert!(!m.set(Vec::new()));
        assert!(!m.set(vec!["https://a".into()]));
        assert!(!rx.has_changed().unwrap());
        assert!(m.set(vec!["https://b".into(), "https://c".into()]));
        assert!(rx.has_changed().unwrap());
        assert_eq!(m.get(), ["https://b", "https://c"]);
    }
}
