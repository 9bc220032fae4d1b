// Runs the library example through `require`: node library.cjs [project] (in a dir with a stack.yaml).
const { demo } = require('./demo.cjs');

demo(require('stack-compose'), process.argv[2] ?? 'library-demo').catch((error) => {
  console.error(error);
  process.exit(1);
});
