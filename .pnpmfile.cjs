// pnpm hooks of the workspace.
//
// beforePacking (pnpm >= 10.28) shapes the package.json that `pnpm pack` and `pnpm publish` put in
// a tarball: the scripts (they call the workspace's tooling) and the devDependencies (workspace
// test helpers that are never published) mean nothing to a user, so they are left out. The
// consumer test (tooling/consumer-test) checks the packed manifests.
module.exports = {
  hooks: {
    beforePacking(pkg) {
      delete pkg.scripts
      delete pkg.devDependencies
      return pkg
    },
  },
}
