//! `faturabot demo`: the real binary, driven through its terminal chat, pays
//! a bill, saves it, runs the reminders (`/remindnow`) and pays from the
//! reminder; and the chat core ([`faturabot::demo::run_with`]) in process.

use crate::common::{ISKI, Key, filled};

use faturabot::i18n::Lang;
use std::{
    io::{BufRead, BufReader, Read, Write},
    process::{Child, ChildStdin, Command, Stdio},
    sync::mpsc::{Receiver, RecvTimeoutError, channel},
    thread,
    time::{Duration, Instant},
};

/// Each step must show its answer within this.
const STEP: Duration = Duration::from_secs(10);
/// The whole conversation, start to exit: two payments with the PIN, a
/// saved bill and a reminder run.
const WHOLE: Duration = Duration::from_secs(45);

/// The demo binary with its stdout read line by line on a thread.
struct Demo {
    child: Child,
    stdin: Option<ChildStdin>,
    lines: Receiver<String>,
    /// Everything printed so far.
    seen: Vec<String>,
    stderr: Option<thread::JoinHandle<String>>,
    started: Instant,
}

impl Demo {
    fn start() -> Demo {
        let mut child = Command::new(env!("CARGO_BIN_EXE_faturabot"))
            .arg("demo")
            .env("LANG", "en_US.UTF-8")
            .env_remove("LC_ALL")
            .env_remove("LC_MESSAGES")
            .env_remove("FATURABOT_DATA_DIR")
            .env("RUST_LOG", "warn")
            .stdin(Stdio::piped())
            .stdout(Stdio::piped())
            .stderr(Stdio::piped())
            .spawn()
            .expect("the faturabot binary starts");
        let stdout = child.stdout.take().expect("piped stdout");
        let (tx, lines) = channel();
        thread::spawn(move || {
            for line in BufReader::new(stdout).lines() {
                let Ok(line) = line else { break };
                if tx.send(line).is_err() {
                    break;
                }
            }
        });
        let mut stderr = child.stderr.take().expect("piped stderr");
        let stderr = thread::spawn(move || {
            let mut text = String::new();
            let _ = stderr.read_to_string(&mut text);
            text
        });
        Demo {
            stdin: child.stdin.take(),
            child,
            lines,
            seen: Vec::new(),
            stderr: Some(stderr),
            started: Instant::now(),
        }
    }

    fn fail(&mut self, why: &str) -> ! {
        let _ = self.child.kill();
        let _ = self.child.wait();
        let stderr = self
            .stderr
            .take()
            .and_then(|h| h.join().ok())
            .unwrap_or_default();
        panic!(
            "{why}\n--- stdout ---\n{}\n--- stderr ---\n{stderr}",
            self.seen.join("\n")
        );
    }

    fn type_line(&mut self, line: &str) {
        let written = match self.stdin.as_mut() {
            Some(stdin) => writeln!(stdin, "{line}").and_then(|()| stdin.flush()),
            None => Ok(()),
        };
        if let Err(e) = written {
            self.fail(&format!("cannot type {line:?}: {e}"));
        }
    }

    /// Reads lines until one (printed after line `from`) satisfies `want`;
    /// returns its index.
    fn wait_for(&mut self, from: usize, what: &str, want: impl Fn(&str) -> bool) -> usize {
        if let Some(i) = self.seen[from..].iter().position(|l| want(l)) {
            return from + i;
        }
        let deadline = (Instant::now() + STEP).min(self.started + WHOLE);
        loop {
            let left = deadline.saturating_duration_since(Instant::now());
            match self.lines.recv_timeout(left) {
                Ok(line) => {
                    let hit = want(&line);
                    self.seen.push(line);
                    if hit {
                        return self.seen.len() - 1;
                    }
                }
                Err(RecvTimeoutError::Timeout) => {
                    self.fail(&format!("timed out waiting for {what}"))
                }
                Err(RecvTimeoutError::Disconnected) => {
                    self.fail(&format!("the demo ended before {what}"))
                }
            }
        }
    }

    /// At the confirmation shown after line `at`: presses Pay `amount`,
    /// then types the demo's PIN (told at the start) digit by digit on the
    /// keypad. Returns where the last digit's keypad was seen.
    fn confirm_with_pin(&mut self, at: usize, amount: &str) -> usize {
        let at = self.wait_for(at, "the confirmation", shows("pay.confirm".into()));
        let pay = filled("button.confirm", &[("amount", amount)])
            .pieces_in(Lang::En)
            .concat();
        let mut at = self.press(at, "confirm", |b| b == pay);
        at = self.wait_for(at, "the keypad", shows("pin.enter".into()));
        for (i, digit) in faturabot::demo::DEMO_PIN.chars().enumerate() {
            if i > 0 {
                let dots = format!("{}{}", "●".repeat(i), "○".repeat(6 - i));
                at = self.wait_for(at, "a dot more", |l| l.contains(&dots));
            }
            self.press(at, "a digit", |b| b == digit.to_string());
        }
        at
    }

    /// Waits for a numbered button whose text `is` wanted, printed after
    /// line `from`, and types its number. Returns where it was seen.
    fn press(&mut self, from: usize, what: &str, is: impl Fn(&str) -> bool) -> usize {
        let at = self.wait_for(from, &format!("a button {what:?}"), |l| {
            button(l).is_some_and(|(_, text)| is(&text))
        });
        let (n, _) = button(&self.seen[at]).unwrap_or_default();
        self.type_line(&n.to_string());
        at
    }
}

impl Drop for Demo {
    fn drop(&mut self) {
        let _ = self.child.kill();
        let _ = self.child.wait();
    }
}

/// `      [3] SU` → (3, "SU").
fn button(line: &str) -> Option<(usize, String)> {
    let rest = line.trim_start().strip_prefix('[')?;
    let (n, text) = rest.split_once("] ")?;
    Some((n.parse().ok()?, text.to_owned()))
}

/// Whether a printed line shows locale text `key` in English (the demo's
/// language): its longest line of fixed words, as the demo prints a message
/// line by line.
fn shows(key: Key<'_>) -> impl Fn(&str) -> bool + use<> {
    let longest = key
        .pieces_in(Lang::En)
        .iter()
        .flat_map(|p| p.lines().map(|l| l.trim().to_owned()).collect::<Vec<_>>())
        .max_by_key(|l| l.chars().count())
        .expect("a line");
    move |line| line.contains(&longest)
}

fn is_qr_row(line: &str) -> bool {
    line.chars()
        .filter(|c| matches!(c, '█' | '▀' | '▄'))
        .count()
        >= 10
}

#[test]
fn the_demo_pays_saves_reminds_and_pays_from_the_reminder() {
    let mut demo = Demo::start();

    // The account is linked before anything is typed.
    let linked = demo.wait_for(0, "the linked account", shows("link.done".into()));

    demo.type_line("/pay");
    let at = demo.wait_for(0, "the group question", shows("pay.choose_group".into()));
    let at = demo.press(at, "SU", |b| b == "SU");
    let at = demo.wait_for(
        at,
        "the institution list",
        shows("pay.choose_institution".into()),
    );
    demo.type_line("iski");
    let at = demo.wait_for(at, "the search result", shows("pay.filter_some".into()));
    let at = demo.press(at, ISKI, |b| b.starts_with(ISKI));
    let at = demo.wait_for(at, "the subscriber prompt", shows("pay.enter_field".into()));
    demo.type_line("1000001");
    let at = demo.wait_for(at, "the invoice list", shows("pay.choose_invoice".into()));
    let at = demo.press(at, "the invoice", |b| b.contains("29.20"));
    let at = demo.confirm_with_pin(at, "TRY 29.20");
    let amount = [("amount", "TRY 29.20")];
    let paid = demo.wait_for(
        at,
        "the payment done",
        shows(filled("status.completed", &amount)),
    );
    let photo = demo.wait_for(at, "the receipt photo", |l| {
        l.contains("[photo: a QR code holding")
    });
    let qr = demo.wait_for(photo, "the QR drawn in blocks", is_qr_row);
    demo.wait_for(qr, "the receipt caption", shows("receipt.text".into()));
    assert!(paid > at && qr > photo);

    // Saved under the payment, then named.
    let save = Key::from("bills.save").pieces_in(Lang::En).concat();
    demo.press(paid, "save this bill", |b| b == save);
    let at = demo.wait_for(qr, "the name prompt", shows("bills.saved".into()));
    demo.type_line("Home water");
    let named = [("title", "Home water")];
    let at = demo.wait_for(at, "the name kept", shows(filled("bills.named", &named)));

    // The reminder run now: the paid bill gets a new invoice first.
    demo.type_line("/remindnow");
    let asked = demo.wait_for(at, "the new invoice", |l| {
        l.contains("new invoice for Home water") && l.contains("TRY 64.35")
    });
    let due = [("title", "Home water"), ("amount", "TRY 64.35")];
    let reminder = demo.wait_for(asked, "the reminder", shows(filled("reminder.new", &due)));
    demo.wait_for(asked, "the run's end", |l| {
        l.contains("(the reminder run ended: 1 saved bill(s) checked, 1 reminder(s) sent")
    });
    let pay = filled("reminder.pay", &[("amount", "TRY 64.35")])
        .pieces_in(Lang::En)
        .concat();
    let at = demo.press(reminder, "the reminder's Pay", |b| b == pay);
    let at = demo.confirm_with_pin(at, "TRY 64.35");
    let paid = demo.wait_for(
        at,
        "the reminded invoice paid",
        shows(filled("status.completed", &[("amount", "TRY 64.35")])),
    );
    let qr = demo.wait_for(paid, "its receipt", is_qr_row);

    demo.type_line("/quit");
    demo.stdin = None; // and the end of input
    demo.wait_for(qr, "the goodbye", |l| l.trim() == "Bye.");

    // It exits on its own, cleanly.
    let deadline = Instant::now() + Duration::from_secs(10);
    let status = loop {
        match demo.child.try_wait() {
            Ok(Some(status)) => break status,
            Ok(None) if Instant::now() < deadline => thread::sleep(Duration::from_millis(50)),
            Ok(None) => demo.fail("the demo did not exit after /quit"),
            Err(e) => demo.fail(&format!("waiting for the demo: {e}")),
        }
    };
    if !status.success() {
        demo.fail(&format!("the demo exited with {status}"));
    }
    let out = demo.seen.join("\n");
    assert!(!out.contains('\u{1b}'), "plain text only, no escape codes");
    assert!(
        out.contains("QR code holding BP022"),
        "the receipt's qrCode"
    );
    assert!(
        demo.seen[..linked]
            .iter()
            .any(|l| l.trim_start().starts_with("/remindnow")),
        "the demo's own command is told in the introduction"
    );
    eprintln!("the demo conversation took {:?}", demo.started.elapsed());
}

/// The chat core in process: odd input does no harm, every bot reply is
/// shown before it returns, and it stops cleanly at the end of input.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn run_with_survives_odd_input_and_ends_with_the_input() {
    let mut input: Vec<u8> = b"\n   \n0\n99\n\\\n\\7\n<b>&amp;</b> \xff\xfe\n".to_vec();
    // A line far longer than any message may be.
    input.extend(std::iter::repeat_n(b'a', 20_000));
    input.extend_from_slice(b"\n/help\r\n/history");
    let mut output: Vec<u8> = Vec::new();
    let done = tokio::time::timeout(
        Duration::from_secs(25),
        faturabot::demo::run_with(input.as_slice(), &mut output),
    )
    .await;
    let out = String::from_utf8_lossy(&output).into_owned();
    match done {
        Ok(Ok(())) => {}
        Ok(Err(e)) => panic!("run_with failed: {e:#}\n{out}"),
        Err(_) => panic!("run_with did not end\n{out}"),
    }
    assert!(out.contains("/pay"), "{out}");
    assert!(out.contains("there is no button 99"), "{out}");
    assert!(
        out.contains("you › 7"),
        "the escaped number is sent as text: {out}"
    );
    assert!(
        out.contains("you › /history"),
        "a last line without newline: {out}"
    );
    // The bot's answers to the last lines are shown before the end.
    assert!(out.contains("/cancelpayment"), "the agent's /help: {out}");
    assert!(out.trim_end().ends_with("Bye."), "{out}");
}
