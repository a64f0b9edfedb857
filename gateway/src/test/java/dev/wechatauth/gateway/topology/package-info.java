/**
 * Topologies: sessions across two instances on a standalone Redis, on Sentinel and on Cluster, and failovers under
 * steady traffic. Their figures go to {@code gateway/target/topology-figures.md}; a bound in time is held there as it
 * is, and in the tests with {@link dev.wechatauth.gateway.rig.Timing#CI_MARGIN a margin} for a busy machine.
 */
package dev.wechatauth.gateway.topology;
