module Sales

// Pages the host app shows (`show page`); they have no body here.
page Order_Edit($order: Order)
page Order_Overview()
