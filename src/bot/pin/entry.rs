//! The PIN typed so far, sealed: it lives in the dialogue state (so it
//! survives a restart and may continue on another replica), encrypted with
//! ChaCha20-Poly1305 under a key every replica derives from the bot token
//! with HKDF, bound to its chat. It is never stored in clear, and a sealed
//! entry older than [`ENTRY_TTL`] is worth nothing.

use chrono::{DateTime, Duration, Utc};
use ring::{
    aead::{Aad, CHACHA20_POLY1305, LessSafeKey, NONCE_LEN, Nonce, UnboundKey},
    hkdf,
    rand::{SecureRandom, SystemRandom},
};
use secrecy::{ExposeSecret, SecretString};
use serde::{Deserialize, Serialize};

use crate::payments::{PIN_LEN, Pin};

/// How long a started entry may wait for its next digit.
pub const ENTRY_TTL: Duration = Duration::minutes(5);

/// Why the key has this purpose, so no other use of the token shares it.
const INFO: &[u8] = b"faturabot pin entry v1";

/// Seals and opens entries. Built once from the bot token.
pub struct Sealer {
    key: LessSafeKey,
    random: SystemRandom,
}

impl Sealer {
    /// The sealer of PIN entries.
    pub fn from_token(token: &SecretString) -> Sealer {
        Sealer::for_purpose(token, INFO)
    }

    /// A sealer whose key serves `purpose` only (HKDF's info).
    pub fn for_purpose(token: &SecretString, purpose: &[u8]) -> Sealer {
        let salt = hkdf::Salt::new(hkdf::HKDF_SHA256, b"faturabot");
        let prk = salt.extract(token.expose_secret().as_bytes());
        let info = [purpose];
        let okm = prk
            .expand(&info, &CHACHA20_POLY1305)
            .unwrap_or_else(|_| unreachable!("32 bytes is within HKDF-SHA256's output"));
        Sealer {
            key: LessSafeKey::new(UnboundKey::from(okm)),
            random: SystemRandom::new(),
        }
    }

    /// `data` encrypted and authenticated with `aad`: nonce ‖ ciphertext ‖ tag.
    pub fn seal_bytes(&self, aad: &[u8], data: &[u8]) -> Option<Vec<u8>> {
        let mut nonce = [0u8; NONCE_LEN];
        self.random.fill(&mut nonce).ok()?;
        let mut sealed = data.to_vec();
        self.key
            .seal_in_place_append_tag(
                Nonce::assume_unique_for_key(nonce),
                Aad::from(aad),
                &mut sealed,
            )
            .ok()?;
        let mut all = nonce.to_vec();
        all.extend_from_slice(&sealed);
        Some(all)
    }

    /// What [`Sealer::seal_bytes`] sealed with the same `aad`, if intact.
    pub fn open_bytes(&self, aad: &[u8], sealed: &[u8]) -> Option<Vec<u8>> {
        if sealed.len() < NONCE_LEN {
            return None;
        }
        let (nonce, rest) = sealed.split_at(NONCE_LEN);
        let nonce = Nonce::try_assume_unique_for_key(nonce).ok()?;
        let mut data = rest.to_vec();
        let plain = self
            .key
            .open_in_place(nonce, Aad::from(aad), &mut data)
            .ok()?;
        Some(plain.to_vec())
    }
}

/// Digits typed so far (zero to six), encrypted.
#[derive(Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct Sealed {
    /// When the entry began; authenticated with the digits.
    pub started: DateTime<Utc>,
    /// Hex of nonce ‖ ciphertext ‖ tag.
    sealed: String,
}

impl std::fmt::Debug for Sealed {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("Sealed")
            .field("started", &self.started)
            .finish_non_exhaustive()
    }
}

/// An entry opened: the digits, and when it began.
pub struct Entry {
    digits: SecretString,
    pub started: DateTime<Utc>,
}

/// What a keypad press made of an entry.
pub enum Typed {
    /// Fewer than six digits: the entry to store, and how many it holds.
    More(Sealed, usize),
    /// The sixth digit: the PIN, to check or keep.
    Complete(Pin),
}

/// What a sealed value is: digits being typed, or a whole PIN kept for
/// the next step (a first entry, an old or a new PIN). One never opens as
/// the other.
#[derive(Clone, Copy)]
enum Kind {
    Typing = 1,
    Whole = 2,
}

fn aad(kind: Kind, chat_id: i64, started: DateTime<Utc>) -> Vec<u8> {
    let mut aad = vec![kind as u8];
    aad.extend_from_slice(&chat_id.to_be_bytes());
    aad.extend_from_slice(&started.timestamp_micros().to_be_bytes());
    aad
}

impl Sealer {
    fn seal(
        &self,
        kind: Kind,
        chat_id: i64,
        digits: &str,
        started: DateTime<Utc>,
    ) -> Option<Sealed> {
        let mut nonce = [0u8; NONCE_LEN];
        self.random.fill(&mut nonce).ok()?;
        let mut data = digits.as_bytes().to_vec();
        self.key
            .seal_in_place_append_tag(
                Nonce::assume_unique_for_key(nonce),
                Aad::from(aad(kind, chat_id, started)),
                &mut data,
            )
            .ok()?;
        let mut all = nonce.to_vec();
        all.extend_from_slice(&data);
        Some(Sealed {
            started,
            sealed: hex(&all),
        })
    }

    /// An empty entry begun `now`.
    pub fn empty(&self, chat_id: i64, now: DateTime<Utc>) -> Option<Sealed> {
        self.seal(Kind::Typing, chat_id, "", now)
    }

    /// The digits of `sealed`, if it is this chat's, intact and not
    /// expired at `now`.
    pub fn open(&self, chat_id: i64, sealed: &Sealed, now: DateTime<Utc>) -> Option<Entry> {
        self.open_as(Kind::Typing, chat_id, sealed, now)
    }

    fn open_as(
        &self,
        kind: Kind,
        chat_id: i64,
        sealed: &Sealed,
        now: DateTime<Utc>,
    ) -> Option<Entry> {
        if now - sealed.started > ENTRY_TTL || sealed.started > now + Duration::minutes(1) {
            return None;
        }
        let bytes = unhex(&sealed.sealed)?;
        if bytes.len() < NONCE_LEN {
            return None;
        }
        let (nonce, rest) = bytes.split_at(NONCE_LEN);
        let nonce = Nonce::try_assume_unique_for_key(nonce).ok()?;
        let mut data = rest.to_vec();
        let plain = self
            .key
            .open_in_place(
                nonce,
                Aad::from(aad(kind, chat_id, sealed.started)),
                &mut data,
            )
            .ok()?;
        let digits = std::str::from_utf8(plain).ok()?;
        if digits.len() > PIN_LEN || !digits.bytes().all(|b| b.is_ascii_digit()) {
            return None;
        }
        Some(Entry {
            digits: SecretString::from(digits),
            started: sealed.started,
        })
    }

    /// A six-digit PIN kept sealed (the first of two entries).
    pub fn seal_pin(&self, chat_id: i64, pin: &Pin, now: DateTime<Utc>) -> Option<Sealed> {
        self.seal(Kind::Whole, chat_id, pin.digits(), now)
    }

    /// The PIN `sealed` holds, if complete and still valid.
    pub fn open_pin(&self, chat_id: i64, sealed: &Sealed, now: DateTime<Utc>) -> Option<Pin> {
        let entry = self.open_as(Kind::Whole, chat_id, sealed, now)?;
        Pin::parse(entry.digits.expose_secret()).ok()
    }

    /// `digit` added to the entry (`None`: the last one taken back).
    pub fn press(&self, chat_id: i64, entry: &Entry, digit: Option<u8>) -> Option<Typed> {
        let mut digits = entry.digits.expose_secret().to_owned();
        match digit {
            Some(d) if d <= 9 => digits.push(char::from(b'0' + d)),
            Some(_) => return None,
            None => {
                digits.pop();
            }
        }
        if digits.len() == PIN_LEN {
            return Pin::parse(&digits).ok().map(Typed::Complete);
        }
        let n = digits.len();
        self.seal(Kind::Typing, chat_id, &digits, entry.started)
            .map(|s| Typed::More(s, n))
    }
}

impl Entry {
    pub fn len(&self) -> usize {
        self.digits.expose_secret().len()
    }

    pub fn is_empty(&self) -> bool {
        self.len() == 0
    }
}

fn hex(bytes: &[u8]) -> String {
    bytes.iter().map(|b| format!("{b:02x}")).collect()
}

fn unhex(text: &str) -> Option<Vec<u8>> {
    if !text.len().is_multiple_of(2) {
        return None;
    }
    (0..text.len())
        .step_by(2)
        .map(|i| u8::from_str_radix(text.get(i..i + 2)?, 16).ok())
        .collect()
}

#[cfg(test)]
mod tests {
    use super::*;

    fn sealer() -> Sealer {
        Sealer::from_token(&SecretString::from("123:token"))
    }

    fn typed(s: &Sealer, chat: i64, digits: &str, now: DateTime<Utc>) -> Sealed {
        let mut sealed = s.empty(chat, now).expect("seal");
        for d in digits.bytes() {
            let entry = s.open(chat, &sealed, now).expect("open");
            match s.press(chat, &entry, Some(d - b'0')) {
                Some(Typed::More(next, _)) => sealed = next,
                _ => panic!("not complete yet"),
            }
        }
        sealed
    }

    #[test]
    fn digits_are_sealed_and_the_sixth_completes() {
        let (s, now) = (sealer(), Utc::now());
        let sealed = typed(&s, 42, "48291", now);
        let stored = serde_json::to_string(&sealed).expect("json");
        assert!(!stored.contains("48291"), "{stored}");
        assert!(!format!("{sealed:?}").contains("48291"));
        let entry = s.open(42, &sealed, now).expect("open");
        assert_eq!(entry.len(), 5);
        match s.press(42, &entry, Some(5)) {
            Some(Typed::Complete(pin)) => assert_eq!(pin.digits(), "482915"),
            _ => panic!("the sixth digit completes"),
        }
        match s.press(42, &entry, None) {
            Some(Typed::More(back, 4)) => {
                assert_eq!(s.open(42, &back, now).map(|e| e.len()), Some(4))
            }
            _ => panic!("erase takes one back"),
        }
    }

    #[test]
    fn another_chat_another_key_a_changed_byte_or_an_old_entry_opens_nothing() {
        let (s, now) = (sealer(), Utc::now());
        let sealed = typed(&s, 42, "12", now);
        assert!(s.open(43, &sealed, now).is_none(), "bound to its chat");
        let other = Sealer::from_token(&SecretString::from("123:other"));
        assert!(other.open(42, &sealed, now).is_none(), "another bot's key");
        let mut forged = sealed.clone();
        forged.started -= Duration::seconds(1);
        assert!(
            s.open(42, &forged, now).is_none(),
            "its time is authenticated"
        );
        let mut flipped = sealed.clone();
        let last = flipped
            .sealed
            .pop()
            .map_or('0', |c| if c == '0' { '1' } else { '0' });
        flipped.sealed.push(last);
        assert!(s.open(42, &flipped, now).is_none(), "tampered");
        let later = now + ENTRY_TTL + Duration::seconds(1);
        assert!(s.open(42, &sealed, later).is_none(), "expired");
        assert!(s.open(42, &sealed, now + ENTRY_TTL).is_some());
    }

    #[test]
    fn a_kept_pin_never_opens_as_an_entry_nor_the_other_way() {
        let (s, now) = (sealer(), Utc::now());
        let pin = Pin::parse("482915").expect("pin");
        let whole = s.seal_pin(42, &pin, now).expect("seal");
        assert!(s.open_pin(42, &whole, now).is_some());
        assert!(s.open(42, &whole, now).is_none(), "not a typing entry");
        let typing = typed(&s, 42, "48291", now);
        assert!(s.open_pin(42, &typing, now).is_none(), "not a kept PIN");
    }

    #[test]
    fn a_digit_that_is_not_one_is_refused() {
        let (s, now) = (sealer(), Utc::now());
        let sealed = typed(&s, 42, "", now);
        let entry = s.open(42, &sealed, now).expect("open");
        assert!(s.press(42, &entry, Some(10)).is_none());
    }
}
