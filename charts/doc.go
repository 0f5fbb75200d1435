// Package charts is what this project knows of each Helm chart it installs: where it comes
// from, the values it gets (pure functions of the plan, rendered through the real charts by
// tests/chart), the host ports its pods hold, and for the AWS Load Balancer Controller the IAM
// policy each chart version needs (package lbcpolicy). The planning pipeline (package plan)
// uses it to plan host ports; the components install what it renders.
package charts
