/**
 * What a screen shows about a page's medical review and sources, shared by the article and
 * the procedure detail: one fragment each, spread where a page has them.
 */
import { graphql } from "../gql";

export const MedicalReviewFields = graphql(`
  fragment MedicalReviewFields on MedicalReview {
    reviewerName
    reviewerCredentials
    reviewedAt
    nextReviewDue
  }
`);

export const CitationFields = graphql(`
  fragment CitationFields on Citation {
    title
    url
    accessed
  }
`);
