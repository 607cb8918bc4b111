"""The device's synchronization with the sync server (SYNC.md 3-8)."""
