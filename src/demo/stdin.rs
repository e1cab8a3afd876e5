//! Standard input for the demo, read on a thread of its own.

/// Standard input read on a thread of its own. Unlike `tokio::io::stdin`,
/// whose blocking read keeps the runtime from shutting down until Enter is
/// pressed, a read left waiting here does not delay the exit (after Ctrl-C).
pub(super) struct StdinReader {
    chunks: tokio::sync::mpsc::Receiver<std::io::Result<Vec<u8>>>,
    pending: Vec<u8>,
    at: usize,
}

impl StdinReader {
    pub(super) fn spawn() -> StdinReader {
        let (tx, chunks) = tokio::sync::mpsc::channel(16);
        let spawned = std::thread::Builder::new()
            .name("demo-stdin".into())
            .spawn(move || {
                use std::io::Read as _;
                let mut stdin = std::io::stdin().lock();
                let mut buf = vec![0u8; 4096];
                loop {
                    let chunk = match stdin.read(&mut buf) {
                        Ok(0) => break,
                        Ok(n) => Ok(buf[..n].to_vec()),
                        Err(e) if e.kind() == std::io::ErrorKind::Interrupted => continue,
                        Err(e) => Err(e),
                    };
                    let failed = chunk.is_err();
                    if tx.blocking_send(chunk).is_err() || failed {
                        break;
                    }
                }
            });
        if let Err(e) = spawned {
            // The sender went with the closure: the input is simply empty.
            tracing::warn!(error = %e, "cannot read the terminal");
        }
        StdinReader {
            chunks,
            pending: Vec::new(),
            at: 0,
        }
    }
}

impl tokio::io::AsyncRead for StdinReader {
    fn poll_read(
        mut self: std::pin::Pin<&mut Self>,
        cx: &mut std::task::Context<'_>,
        buf: &mut tokio::io::ReadBuf<'_>,
    ) -> std::task::Poll<std::io::Result<()>> {
        use std::task::Poll;
        loop {
            if self.at < self.pending.len() {
                let n = buf.remaining().min(self.pending.len() - self.at);
                let start = self.at;
                buf.put_slice(&self.pending[start..start + n]);
                self.at += n;
                return Poll::Ready(Ok(()));
            }
            match self.chunks.poll_recv(cx) {
                Poll::Pending => return Poll::Pending,
                Poll::Ready(Some(Ok(chunk))) => {
                    self.pending = chunk;
                    self.at = 0;
                }
                Poll::Ready(Some(Err(e))) => return Poll::Ready(Err(e)),
                // The thread is done: end of input.
                Poll::Ready(None) => return Poll::Ready(Ok(())),
            }
        }
    }
}
