"""oleg's ``tdlib`` source: channel posts read by user accounts through TDLib."""
