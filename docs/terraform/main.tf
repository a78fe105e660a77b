# The configuration of the README's section "Use the emulator with Terraform".
terraform {
  required_providers {
    azuread = { source = "hashicorp/azuread", version = "~> 3.0" }
  }
}

provider "azuread" {}

resource "azuread_application" "example" {
  display_name = "tf-example"
}

resource "azuread_service_principal" "example" {
  client_id = azuread_application.example.client_id
}

resource "azuread_application_federated_identity_credential" "github" {
  application_id = azuread_application.example.id
  display_name   = "github-main"
  audiences      = ["api://AzureADTokenExchange"]
  issuer         = "https://token.actions.githubusercontent.com"
  subject        = "repo:contoso/payments:ref:refs/heads/main"
}
