// Runs the library example through `import`: node library.mjs [project] (in a dir with a stack.yaml).
import * as stack from 'stack-compose';
import demoModule from './demo.cjs';

await demoModule.demo(stack, process.argv[2] ?? 'library-demo');
