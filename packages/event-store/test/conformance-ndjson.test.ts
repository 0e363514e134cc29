import { runConformance } from './conformance-embedded.js'

runConformance('ndjson')
