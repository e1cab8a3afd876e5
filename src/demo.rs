//! `faturabot demo`: the whole product in one terminal (being written).

pub async fn run() -> anyhow::Result<()> {
    anyhow::bail!("the demo is not written yet")
}
