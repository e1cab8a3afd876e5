//! [`PinHasher`]: argon2id, stored as a PHC string
//! (`$argon2id$v=19$m=…,t=…,p=1$<salt>$<hash>`) with a 16-byte salt per
//! PIN from the system's random source.
//!
//! A hash takes tens of milliseconds of one core: it runs on the blocking
//! pool, so other chats go on meanwhile, and at most one per core runs at
//! once, so 300 customers typing at once queue instead of taking the
//! cores and the memory. Each of those few slots keeps its argon2 memory
//! for the next hash, so what PINs take is fixed: slots × [`M_COST_KIB`].

use std::sync::{
    Arc, Mutex,
    atomic::{AtomicUsize, Ordering},
};

use argon2::{
    ARGON2ID_IDENT, Algorithm, Argon2, Block, Params, Version,
    password_hash::phc::{Output, ParamsString, PasswordHash, Salt},
};
use ring::rand::{SecureRandom, SystemRandom};
use tokio::sync::Semaphore;

use super::Pin;
use crate::payments::StoreError;

/// Memory per hash, KiB. With [`T_COST`] and one lane, a hash takes
/// 45–54 ms in a release build on this 2-core machine (the fastest of 15
/// runs, other builds running beside it; 80–90 ms in the tests' build):
/// OWASP's memory-for-passes trade (its floor is m = 12 MiB, t = 3), with
/// more passes to reach ~50 ms.
pub const M_COST_KIB: u32 = 12 * 1024;
/// Passes over the memory.
pub const T_COST: u32 = 10;
const OUTPUT_LEN: usize = 32;
const SALT_LEN: usize = 16;
/// A stored hash asking for more than this is refused rather than
/// allocated: a garbled record must not take the process's memory.
const MAX_M_COST_KIB: u32 = 64 * 1024;
const MAX_T_COST: u32 = 64;

#[derive(Debug, thiserror::Error)]
pub enum PinError {
    #[error(transparent)]
    Store(#[from] StoreError),
    /// A stored hash that does not parse, or argon2 refused its inputs.
    #[error("PIN hash: {0}")]
    Hash(String),
    #[error("no random numbers from the system")]
    Random,
    #[error("a PIN check was cancelled")]
    Cancelled,
    /// The PIN kept changing while it was checked.
    #[error("the PIN changed while it was checked")]
    Raced,
}

fn hash_error(e: impl std::fmt::Display) -> PinError {
    PinError::Hash(e.to_string())
}

/// Hashes and checks PINs. Cheap to clone: clones share the slots.
#[derive(Clone)]
pub struct PinHasher {
    inner: Arc<Inner>,
}

struct Inner {
    params: Params,
    cores: usize,
    slots: Arc<Semaphore>,
    /// The argon2 memory of slots not in use, for the next hash.
    memory: Mutex<Vec<Vec<Block>>>,
    random: SystemRandom,
    /// Hashes running now, the most there ever were, and how many ran
    /// (tests, metrics).
    running: AtomicUsize,
    peak: AtomicUsize,
    done: AtomicUsize,
}

impl PinHasher {
    /// The parameters above, one slot per core.
    pub fn new() -> PinHasher {
        let params = Params::new(M_COST_KIB, T_COST, 1, Some(OUTPUT_LEN));
        // Constants within argon2's bounds.
        PinHasher::with_params(params.expect("valid argon2 parameters"))
    }

    /// Other parameters (cheap ones for tests); one slot per core.
    pub fn with_params(params: Params) -> PinHasher {
        let cores = std::thread::available_parallelism().map_or(1, |n| n.get());
        PinHasher {
            inner: Arc::new(Inner {
                params,
                cores,
                slots: Arc::new(Semaphore::new(cores)),
                memory: Mutex::new(Vec::new()),
                random: SystemRandom::new(),
                running: AtomicUsize::new(0),
                peak: AtomicUsize::new(0),
                done: AtomicUsize::new(0),
            }),
        }
    }

    /// Parameters that take a millisecond, for tests of everything but
    /// the hash's cost.
    #[cfg(test)]
    pub(crate) fn cheap() -> PinHasher {
        PinHasher::with_params(Params::new(64, 1, 1, Some(OUTPUT_LEN)).expect("params"))
    }

    /// How many hashes may run at once.
    pub fn slots(&self) -> usize {
        self.inner.cores
    }

    /// The most hashes that ever ran at once.
    pub fn peak(&self) -> usize {
        self.inner.peak.load(Ordering::SeqCst)
    }

    /// How many hashes ran (checks and new PINs).
    pub fn hashes(&self) -> usize {
        self.inner.done.load(Ordering::SeqCst)
    }

    /// The argon2 memories kept for the next hash.
    #[cfg(test)]
    pub(crate) fn memories(&self) -> usize {
        self.inner.lock_memory().len()
    }

    /// A fresh salt, and `pin` hashed with it: the PHC string to store.
    pub async fn hash(&self, pin: &Pin) -> Result<String, PinError> {
        let mut salt = [0u8; SALT_LEN];
        self.inner
            .random
            .fill(&mut salt)
            .map_err(|_| PinError::Random)?;
        let params = self.inner.params.clone();
        let pin = pin.clone();
        self.run(move |inner, memory| {
            let out = inner.argon2(&params, &pin, &salt, memory)?;
            let phc = PasswordHash {
                algorithm: ARGON2ID_IDENT,
                version: Some(Version::V0x13.into()),
                params: ParamsString::try_from(&params).map_err(hash_error)?,
                salt: Some(Salt::new(&salt).map_err(hash_error)?),
                hash: Some(Output::new(&out).map_err(hash_error)?),
            };
            Ok(phc.to_string())
        })
        .await
    }

    /// Whether `pin` is the one `stored` was made from, compared in
    /// constant time (`phc::Output`'s equality is `ctutils`' `ct_eq`). The
    /// parameters are the stored ones, so older hashes still check.
    pub async fn verify(&self, pin: &Pin, stored: &str) -> Result<bool, PinError> {
        let phc = PasswordHash::new(stored).map_err(hash_error)?;
        if phc.algorithm != ARGON2ID_IDENT {
            return Err(PinError::Hash(format!("not argon2id: {}", phc.algorithm)));
        }
        let version =
            Version::try_from(phc.version.unwrap_or(Version::V0x13.into())).map_err(hash_error)?;
        if version != Version::V0x13 {
            return Err(PinError::Hash("not argon2 version 19".into()));
        }
        let params = Params::try_from(&phc).map_err(hash_error)?;
        if params.m_cost() > MAX_M_COST_KIB || params.t_cost() > MAX_T_COST {
            return Err(PinError::Hash("parameters beyond this version's".into()));
        }
        let (Some(salt), Some(expected)) = (phc.salt, phc.hash) else {
            return Err(PinError::Hash("no salt or no hash".into()));
        };
        let pin = pin.clone();
        self.run(move |inner, memory| {
            let out = inner.argon2(&params, &pin, salt.as_ref(), memory)?;
            Ok(Output::new(&out).map_err(hash_error)? == expected)
        })
        .await
    }

    /// Runs `work` on the blocking pool once a slot is free, with that
    /// slot's memory. The slot is held until `work` ends, even if the
    /// caller stops waiting.
    async fn run<T: Send + 'static>(
        &self,
        work: impl FnOnce(&Inner, &mut Vec<Block>) -> Result<T, PinError> + Send + 'static,
    ) -> Result<T, PinError> {
        let slots = self.inner.slots.clone();
        let slot = slots
            .acquire_owned()
            .await
            .map_err(|_| PinError::Cancelled)?;
        let inner = self.inner.clone();
        tokio::task::spawn_blocking(move || {
            let _slot = slot;
            let now = inner.running.fetch_add(1, Ordering::SeqCst) + 1;
            inner.peak.fetch_max(now, Ordering::SeqCst);
            let mut memory = inner.take_memory();
            let result = work(&inner, &mut memory);
            inner.give_back(memory);
            inner.running.fetch_sub(1, Ordering::SeqCst);
            inner.done.fetch_add(1, Ordering::SeqCst);
            result
        })
        .await
        .map_err(|_| PinError::Cancelled)?
    }
}

impl Default for PinHasher {
    fn default() -> Self {
        PinHasher::new()
    }
}

impl Inner {
    fn argon2(
        &self,
        params: &Params,
        pin: &Pin,
        salt: &[u8],
        memory: &mut Vec<Block>,
    ) -> Result<Vec<u8>, PinError> {
        let blocks = params.block_count();
        if memory.len() < blocks {
            memory.resize(blocks, Block::default());
        }
        let out_len = params.output_len().unwrap_or(OUTPUT_LEN);
        let mut out = vec![0u8; out_len];
        Argon2::new(Algorithm::Argon2id, Version::V0x13, params.clone())
            .hash_password_into_with_memory(
                pin.digits().as_bytes(),
                salt,
                &mut out,
                &mut memory[..blocks],
            )
            .map_err(hash_error)?;
        Ok(out)
    }

    fn take_memory(&self) -> Vec<Block> {
        self.lock_memory().pop().unwrap_or_default()
    }

    fn give_back(&self, memory: Vec<Block>) {
        self.lock_memory().push(memory);
    }

    fn lock_memory(&self) -> std::sync::MutexGuard<'_, Vec<Vec<Block>>> {
        // A list of buffers: consistent after any panic.
        self.memory.lock().unwrap_or_else(|p| p.into_inner())
    }
}
