import { describeHealthy } from './support/healthy-cases.js'

describeHealthy(['event-store-wal', 'event-store-ndjson', 'event-store-record-keeper'])
