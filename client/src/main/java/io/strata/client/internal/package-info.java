/**
 * Machinery shared by the producer, consumer and admin: configuration parsing, the channel
 * pool, the metadata cache and the conversion of failed calls to
 * {@link io.strata.client.StrataException}. Not a public API: it may change in any release.
 */
package io.strata.client.internal;
