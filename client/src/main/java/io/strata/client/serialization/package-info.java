/** Conversion of application keys and values to and from record bytes. */
package io.strata.client.serialization;
