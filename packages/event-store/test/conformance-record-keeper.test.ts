import { runConformance } from './conformance-embedded.js'

runConformance('record-keeper')
