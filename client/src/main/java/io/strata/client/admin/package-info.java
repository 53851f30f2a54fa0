/**
 * Topic, quota, partition-reassignment, consumer-group and cluster administration:
 * {@link io.strata.client.admin.StrataAdmin}.
 */
package io.strata.client.admin;
