//! Consistency of reads across three real managers: a leader paused (SIGSTOP) while the
//! others elect a new one and commit a write must, once resumed, never answer a read with
//! the value from before; `?consistency=stale` is answered by any manager and says so; a bad
//! `consistency` is a 400 naming it; requests relayed to a paused leader are answered in
//! bounded time.

mod common;

use anyhow::{Result, bail};
use common::*;
use reqwest::Method;
use serde_json::{Value, json};
use std::time::{Duration, Instant};

const WAIT: Duration = Duration::from_secs(30);

/// `GET path` with its status, the consistency header and the body.
async fn get_with_header(node: &Shoald, path: &str) -> Result<(u16, Option<String>, Value)> {
    let resp = node
        .api()?
        .raw(Method::GET, path)
        .timeout(Duration::from_secs(30))
        .send()
        .await?;
    let status = resp.status().as_u16();
    let header = resp
        .headers()
        .get("x-shoal-consistency")
        .map(|v| v.to_str().unwrap_or_default().to_string());
    let body = resp.json().await.unwrap_or(Value::Null);
    Ok((status, header, body))
}

fn label(service: &Value) -> Option<&str> {
    service["spec"]["labels"]["round"].as_str()
}

/// Sets the label `round` of service `probe` to `value` through `via`, with the version read
/// through `via`, retrying until a leader acknowledges it.
async fn set_round(via: &Shoald, value: &str) -> Result<()> {
    eventually(&format!("round={value} acknowledged"), WAIT, || async {
        via.update_service("probe", |spec| {
            spec["labels"]["round"] = json!(value);
        })
        .await
        .ok()
    })
    .await?;
    Ok(())
}

#[tokio::test]
async fn a_resumed_leader_never_answers_with_the_value_from_before_its_pause() -> Result<()> {
    let m = Shoald::three_managers("rd").await?;
    let mut probe = spec("probe", IMAGE_1, 0);
    probe["labels"] = json!({ "round": "0" });
    m[0].create_service(probe).await?;

    let mut answered = 0;
    for round in 1..=4 {
        let old = (round - 1).to_string();
        let new = round.to_string();
        // Everyone has seen the old value, so the leader's own state has it.
        for n in &m {
            eventually("every manager has the old value", WAIT, || async {
                let (s, _, b) = get_with_header(n, "/v1/services/probe?consistency=stale")
                    .await
                    .ok()?;
                (s == 200 && label(&b) == Some(old.as_str())).then_some(())
            })
            .await?;
        }
        let l = eventually("a leader", WAIT, || leader(&m, &m[0])).await?;
        let other = &m[(l + 1) % 3];
        m[l].signal("STOP");
        let paused = Instant::now();
        set_round(other, &new).await?;
        let took = paused.elapsed();
        // Reads queued on the paused leader, then more as soon as it resumes: each must be
        // the new value or a refusal, never the old one.
        let queued: Vec<_> = (0..4)
            .map(|_| {
                let api = m[l].api().expect("api");
                tokio::spawn(async move {
                    api.raw(Method::GET, "/v1/services/probe")
                        .timeout(Duration::from_secs(30))
                        .send()
                        .await
                })
            })
            .collect();
        tokio::time::sleep(Duration::from_millis(20)).await;
        m[l].signal("CONT");
        let mut seen = Vec::new();
        for q in queued {
            let resp = q.await??;
            let status = resp.status().as_u16();
            seen.push((status, resp.json::<Value>().await.unwrap_or(Value::Null)));
        }
        for _ in 0..10 {
            let (status, _, body) = get_with_header(&m[l], "/v1/services/probe").await?;
            seen.push((status, body));
        }
        for (status, body) in &seen {
            match status {
                200 => {
                    assert_eq!(
                        label(body),
                        Some(new.as_str()),
                        "round {round}: the resumed leader answered a stale read after a {took:?} pause: {body}"
                    );
                    answered += 1;
                }
                503 => {}
                _ => bail!("round {round}: unexpected answer {status}: {body}"),
            }
        }
        eprintln!(
            "round {round}: paused {took:?}, answers {:?}",
            seen.iter().map(|s| s.0).collect::<Vec<_>>()
        );
    }
    // The resumed manager (now a follower) relays reads to the new leader: it does answer.
    assert!(answered > 0, "the resumed managers never answered a read");
    Ok(())
}

#[tokio::test]
async fn stale_reads_only_when_asked_and_requests_to_a_paused_leader_are_bounded() -> Result<()> {
    let m = Shoald::three_managers("st").await?;
    m[0].create_service(spec("probe", IMAGE_1, 0)).await?;
    let l = eventually("a leader", WAIT, || leader(&m, &m[0])).await?;
    let f = (l + 1) % 3;

    // Linearizable by default, on the leader and through a follower.
    for n in [&m[l], &m[f]] {
        let (status, header, _) = get_with_header(n, "/v1/services/probe").await?;
        assert_eq!(status, 200);
        assert_eq!(header.as_deref(), Some("linearizable"));
    }
    let (status, header, body) =
        get_with_header(&m[f], "/v1/services/probe?consistency=stale").await?;
    assert_eq!(status, 200, "{body}");
    assert_eq!(header.as_deref(), Some("stale"));
    assert_eq!(body["spec"]["name"], "probe");

    // A bad value names the parameter; stale is refused where only the leader can answer.
    let (status, _, body) = get_with_header(&m[f], "/v1/services?consistency=eventual").await?;
    assert_eq!(status, 400, "{body}");
    assert_eq!(body["error"]["field"], "consistency", "{body}");
    let (status, _, body) =
        get_with_header(&m[f], "/v1/services/probe/logs?consistency=stale").await?;
    assert_eq!(status, 400, "{body}");
    assert_eq!(body["error"]["field"], "consistency", "{body}");

    // shoalctl --stale asks for it too.
    let out = m[f].shoalctl(&["--stale", "service", "ls", "-o", "json"]);
    assert!(out.status.success(), "{out:?}");
    assert!(String::from_utf8_lossy(&out.stdout).contains("probe"));

    // With the leader paused: a stale read on a follower is answered at once; a read
    // through a follower is answered (by the new leader) or refused, well within the bound;
    // the paused leader's reads wait for it, then get the new leader's state or a refusal.
    m[l].signal("STOP");
    let t0 = Instant::now();
    let (status, header, _) =
        get_with_header(&m[f], "/v1/services/probe?consistency=stale").await?;
    assert_eq!((status, header.as_deref()), (200, Some("stale")));
    assert!(t0.elapsed() < Duration::from_secs(2), "{:?}", t0.elapsed());
    let t0 = Instant::now();
    let (status, _, body) = get_with_header(&m[f], "/v1/services/probe").await?;
    let took = t0.elapsed();
    m[l].signal("CONT");
    assert!(status == 200 || status == 503, "{status}: {body}");
    assert!(
        took < Duration::from_secs(11),
        "a read relayed to a paused leader took {took:?}"
    );
    eprintln!("read through a follower while the leader was paused: {status} in {took:?}");
    Ok(())
}
