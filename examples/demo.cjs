// The README's library example as one function over the package's exports, so that the ES
// module entry (library.mjs) and the CommonJS one (library.cjs) run the same flow:
// load a stack, print the plan, apply it, check it converged, tear it down.
async function demo(stack, project) {
  const { connectEngine, down, loadStack, planStack, renderPlan, up } = stack;
  const model = await loadStack({ cwd: process.cwd(), env: process.env, projectName: project });
  const engine = await connectEngine({ env: process.env });
  const hooks = {
    signal: AbortSignal.timeout(120_000),
    env: process.env,
    onWarning: (m) => console.error(`warning: ${m}`),
  };

  const { plan } = await planStack(engine, model, { plan: {} }, hooks);
  console.log(renderPlan(plan, 'text'));
  const applied = await up(engine, model, { plan: {} }, hooks);
  console.log(`up: ${applied.plan.actions.length} actions`);
  const again = await planStack(engine, model, { plan: {} }, hooks);
  console.log(`converged: ${again.plan.actions.length === 0}`);
  const removed = await down(engine, model, {}, hooks);
  console.log(`down: ${removed.plan.actions.length} actions`);
}

module.exports = { demo };
