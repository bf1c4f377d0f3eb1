// `tabby` from the benchmark's own build (bin/tabby.js always runs dist/).
import { main } from '../src/cli/tabby.js';

process.exitCode = await main(process.argv.slice(2));
