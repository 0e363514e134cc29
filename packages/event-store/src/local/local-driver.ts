// Placeholder: the LocalDriver is being written (issue 10). Its constructor contract, which the
// embedded backends build against:
//
//   LocalDriver.open({ name: string, log: CommitLog, side: SideStore, now?: () => number }): Promise<LocalDriver>
//
// It replays `log` to rebuild the stream index and id index, then serves EventStoreDriver.
export {}
