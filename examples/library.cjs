// The README's library example: load a stack, show the plan, apply it, tear it down.
// CommonJS twin of library.mjs: node library.cjs [project]
const { connectEngine, down, loadStack, planStack, renderPlan, up } = require('stack');


async function main() {
  const project = process.argv[2] ?? 'library-demo';
  const model = await loadStack({ cwd: process.cwd(), env: process.env, projectName: project });
  const engine = await connectEngine({ env: process.env });
  const hooks = { signal: AbortSignal.timeout(120_000), env: process.env, onWarning: (m) => console.error(`warning: ${m}`) };

  const { plan } = await planStack(engine, model, { plan: {} }, hooks);
  console.log(renderPlan(plan, 'text'));
  const applied = await up(engine, model, { plan: {} }, hooks);
  console.log(`up: ${applied.plan.actions.length} actions`);
  const again = await planStack(engine, model, { plan: {} }, hooks);
  console.log(`converged: ${again.plan.actions.length === 0}`);
  const removed = await down(engine, model, {}, hooks);
  console.log(`down: ${removed.plan.actions.length} actions`);
}

main().catch((error) => {
  console.error(error);
  process.exit(1);
});
